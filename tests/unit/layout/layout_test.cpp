// The rules of STYLE.md and DESIGN.md that a grep can check, over the source tree itself:
//  - each third-party library is used by exactly one module: its headers are included only
//    by that module's .cpp files (never by any .hpp, so no public header exposes it), and its
//    CMake target is linked only by that module, PRIVATE;
//  - no shell: system(), popen() and the exec*() family never appear in src/;
//  - every SQL statement is fixed text with bound parameters: what reaches sqlite3_exec /
//    prepare is a literal, a k_ constant, a named query from sql/, or one of a few reviewed
//    local strings (listed below with why), and no SQL literal is glued to a runtime value
//    other than std::to_string of a number.
// A violation names the file and line. The checks are heuristics on the text (no C++
// parser); a false alarm is fixed by writing the code plainly, not by widening the rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path k_src = fs::path(DMARC_SOURCE_DIR) / "src";

struct SourceFile
{
  fs::path path;          // absolute
  std::string relative;   // "store/sqlite.cpp"
  std::string module;     // "store"
  bool header = false;    // .hpp / .h
  std::vector<std::string> lines;
};

std::vector<SourceFile> source_files()
{
  std::vector<SourceFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(k_src)) {
    const std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".cc")) {
      continue;
    }
    SourceFile f;
    f.path = entry.path();
    f.relative = fs::relative(entry.path(), k_src).generic_string();
    f.module = f.relative.substr(0, f.relative.find('/'));
    f.header = ext == ".hpp" || ext == ".h";
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      f.lines.push_back(line);
    }
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.relative < b.relative; });
  return files;
}

// A line without its // comment (string literals containing "//" are rare enough here).
std::string code_of(const std::string& line)
{
  bool in_string = false;
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) {
      in_string = !in_string;
    } else if (!in_string && line[i] == '/' && line[i + 1] == '/') {
      return line.substr(0, i);
    }
  }
  return line;
}

struct Library
{
  const char* name;
  std::regex include;     // matches the header named in an #include
  const char* module;     // the one module that may include it (in .cpp files only)
  std::regex cmake_target;
};

const std::vector<Library>& libraries()
{
  static const std::vector<Library> k_libraries = {
    {"pugixml", std::regex(R"(^pugi(xml|config)\.hpp$)"), "formats", std::regex(R"(pugixml::)")},
    {"nlohmann_json", std::regex(R"(^nlohmann/)"), "formats", std::regex(R"(nlohmann_json::)")},
    {"sqlite3", std::regex(R"(^sqlite3(ext)?\.h$)"), "store", std::regex(R"(SQLite::)")},
    {"zlib", std::regex(R"(^z(lib|conf)\.h$)"), "decompress", std::regex(R"(ZLIB::)")},
    {"libzip", std::regex(R"(^zip(conf)?\.h$)"), "decompress", std::regex(R"(LIBZIP)")},
    {"mimetic", std::regex(R"(^mimetic/)"), "mime", std::regex(R"(mimetic::)")},
    {"libpsl", std::regex(R"(^libpsl\.h$)"), "domain", std::regex(R"(LIBPSL)")},
    {"toml++", std::regex(R"(^toml\+\+/)"), "config", std::regex(R"(tomlplusplus::)")},
    {"CLI11", std::regex(R"(^CLI/)"), "cli", std::regex(R"(CLI11::)")},
    {"libcurl", std::regex(R"(^curl/)"), "net", std::regex(R"(CURL::)")},
    {"c-ares", std::regex(R"(^ares(_[a-z_]+)?\.h$)"), "net", std::regex(R"(CARES)")},
    {"libmaxminddb", std::regex(R"(^maxminddb(_config)?\.h$)"), "enrich", std::regex(R"(MAXMINDDB)")},
  };
  return k_libraries;
}

const std::regex k_include(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");

} // namespace

TEST_CASE("the source tree is where the layout test looks")
{
  const auto files = source_files();
  REQUIRE(files.size() > 20);
  // The scan really sees the known users, so a broken regex cannot pass silently.
  int seen = 0;
  for (const SourceFile& f : files) {
    for (const std::string& line : f.lines) {
      std::smatch m;
      if (std::regex_search(line, m, k_include)
          && (m[1] == "sqlite3.h" || m[1] == "pugixml.hpp" || m[1] == "CLI/CLI.hpp")) {
        ++seen;
      }
    }
  }
  CHECK(seen >= 3);
}

TEST_CASE("a third-party header is included only by its module's .cpp files")
{
  std::vector<std::string> violations;
  for (const SourceFile& f : source_files()) {
    for (std::size_t i = 0; i < f.lines.size(); ++i) {
      std::smatch m;
      if (!std::regex_search(f.lines[i], m, k_include)) {
        continue;
      }
      const std::string header = m[1];
      for (const Library& lib : libraries()) {
        if (!std::regex_search(header, lib.include)) {
          continue;
        }
        if (f.header) {
          violations.push_back(f.relative + ":" + std::to_string(i + 1) + ": " + lib.name
                               + " header <" + header + "> in a header file");
        } else if (f.module != lib.module) {
          violations.push_back(f.relative + ":" + std::to_string(i + 1) + ": " + lib.name
                               + " header <" + header + "> outside src/" + lib.module);
        }
      }
      if (header.rfind("catch2/", 0) == 0 || header.rfind("gtest/", 0) == 0) {
        violations.push_back(f.relative + ":" + std::to_string(i + 1) + ": test framework in src/");
      }
    }
  }
  INFO([&] {
    std::string all;
    for (const auto& v : violations) all += v + "\n";
    return all;
  }());
  CHECK(violations.empty());
}

TEST_CASE("a third-party library is linked PRIVATE by its one module only")
{
  std::vector<std::string> violations;
  int links_seen = 0;
  for (const auto& entry : fs::recursive_directory_iterator(k_src)) {
    if (entry.path().filename() != "CMakeLists.txt") {
      continue;
    }
    const std::string module = fs::relative(entry.path().parent_path(), k_src).generic_string();
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    std::string cmake = text.str();
    // Drop comments, then walk every token remembering the last link keyword.
    cmake = std::regex_replace(cmake, std::regex("#[^\n]*"), "");
    std::istringstream tokens(std::regex_replace(cmake, std::regex(R"([()])"), " $& "));
    std::string keyword;
    bool in_link = false;
    for (std::string token; tokens >> token;) {
      if (token == "target_link_libraries") {
        in_link = true;
        keyword.clear();
        continue;
      }
      if (token == ")") {
        in_link = false;
        continue;
      }
      if (token == "PUBLIC" || token == "PRIVATE" || token == "INTERFACE") {
        keyword = token;
        continue;
      }
      for (const Library& lib : libraries()) {
        if (!std::regex_search(token, lib.cmake_target)) {
          continue;
        }
        ++links_seen;
        if (module == "." || module != lib.module) {
          violations.push_back("src/" + module + "/CMakeLists.txt: " + lib.name + " (" + token
                               + ") outside src/" + lib.module);
        } else if (in_link && keyword != "PRIVATE") {
          violations.push_back("src/" + module + "/CMakeLists.txt: " + lib.name
                               + " linked " + (keyword.empty() ? "without PRIVATE" : keyword));
        }
      }
    }
  }
  INFO([&] {
    std::string all;
    for (const auto& v : violations) all += v + "\n";
    return all;
  }());
  CHECK(links_seen >= 8);
  CHECK(violations.empty());
}

TEST_CASE("nothing in src/ runs a shell or another program")
{
  const std::regex k_shell(R"((^|[^A-Za-z0-9_.>:])(std::)?(system|popen|execl|execlp|execle|execv|execvp|execvpe|posix_spawnp?)\s*\()");
  std::vector<std::string> violations;
  for (const SourceFile& f : source_files()) {
    for (std::size_t i = 0; i < f.lines.size(); ++i) {
      if (std::regex_search(code_of(f.lines[i]), k_shell)) {
        violations.push_back(f.relative + ":" + std::to_string(i + 1) + ": " + f.lines[i]);
      }
    }
  }
  INFO([&] {
    std::string all;
    for (const auto& v : violations) all += v + "\n";
    return all;
  }());
  CHECK(violations.empty());
  // The pattern itself works.
  CHECK(std::regex_search(std::string("  std::system(cmd.c_str());"), k_shell));
  CHECK(std::regex_search(std::string("FILE* p = popen(\"ls\", \"r\");"), k_shell));
  CHECK_FALSE(std::regex_search(std::string("ecosystem(x)"), k_shell));
}

namespace {

// Statement calls whose first argument is SQL text.
const std::regex k_sql_call(
  R"((\bsqlite3_exec\s*\(\s*[A-Za-z_][A-Za-z0-9_>.-]*\s*,|\bsqlite3_prepare(_v2|_v3)?\s*\(\s*[A-Za-z_][A-Za-z0-9_>.-]*\s*,|(\.|->)(exec|prepare|cached|query_int)\s*\()\s*([^,;]*))");

// The SQL arguments of every statement call on `code` (trimmed, unbalanced closing
// parentheses dropped); a call whose argument starts on the next line reads `next_line`.
std::vector<std::string> arguments_of(const std::string& code, const std::string& next_line)
{
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), k_sql_call);
       it != std::sregex_iterator(); ++it) {
    std::string arg = (*it)[5];
    if (std::regex_match(arg, std::regex(R"(\s*)"))) {
      std::smatch n;
      std::regex_search(next_line, n, std::regex(R"(^\s*([^,;]*))"));
      arg = n[1];
    }
    arg = std::regex_replace(arg, std::regex(R"(^\s+|\s+$)"), "");
    while (!arg.empty() && arg.back() == ')'
           && std::count(arg.begin(), arg.end(), ')') > std::count(arg.begin(), arg.end(), '(')) {
      arg.pop_back();
      arg = std::regex_replace(arg, std::regex(R"(\s+$)"), "");
    }
    out.push_back(arg);
  }
  return out;
}

// The first of them, or "".
std::string argument_of(const std::string& code, const std::string& next_line)
{
  const auto all = arguments_of(code, next_line);
  return all.empty() ? std::string() : all.front();
}

// What may be passed as SQL: a literal, a k_ constant, a query from sql/ (named_query).
bool fixed_sql(std::string arg)
{
  arg = std::regex_replace(arg, std::regex(R"(^\s+|\s+$)"), "");
  return (!arg.empty() && arg.front() == '"') || arg.rfind("k_", 0) == 0
         || arg.rfind("named_query(", 0) == 0;
}

// Reviewed local strings that hold SQL: {file, variable, why it is not data}.
struct Reviewed
{
  const char* file;
  const char* variable;
  const char* why;
};
constexpr Reviewed k_reviewed[] = {
  {"store/sqlite.cpp", "text", "Connection::exec's own copy of its argument"},
  {"store/sqlite.cpp", "sql.data()", "Connection::prepare's own argument"},
  {"store/sqlite.cpp", "text.c_str()", "Connection::exec's own copy of its argument"},
  {"store/database.cpp", "pragmas", "PRAGMA literals and std::to_string(busy_timeout_ms)"},
  {"store/database.cpp", "sql", "embedded migrations from sql/ and std::to_string(version)"},
  {"store/queries.cpp", "sql", "loops over arrays of SQL literals (integrity_check)"},
};

// A line that glues an SQL literal to something other than a literal or to_string().
bool glues_data_to_sql(const std::string& code)
{
  static const std::regex k_sql_literal(
    R"("[^"]*\b(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WHERE|VALUES|CREATE|DROP|ATTACH)\b[^"]*")");
  if (!std::regex_search(code, k_sql_literal)) {
    return false;
  }
  // Remove literals and std::to_string(...) (one level of nested parentheses), then any
  // '+' left next to an operand means runtime text is glued to the SQL.
  std::string rest = std::regex_replace(code, std::regex(R"("([^"\\]|\\.)*")"), "@");
  rest = std::regex_replace(rest, std::regex(R"(std::to_string\s*\(([^()]|\([^()]*\))*\))"), "@");
  return std::regex_search(rest, std::regex(R"((@\s*\+\s*[A-Za-z_(])|([A-Za-z0-9_)\]]\s*\+\s*@))"));
}

} // namespace

TEST_CASE("SQL is fixed text: statements get bound parameters, never glued data")
{
  std::vector<std::string> violations;
  int calls_seen = 0;
  for (const SourceFile& f : source_files()) {
    for (std::size_t i = 0; i < f.lines.size(); ++i) {
      const std::string code = code_of(f.lines[i]);
      const std::string where = f.relative + ":" + std::to_string(i + 1) + ": ";
      for (const std::string& arg :
           arguments_of(code, i + 1 < f.lines.size() ? code_of(f.lines[i + 1]) : std::string())) {
        ++calls_seen;
        if (fixed_sql(arg)) {
          continue;
        }
        const bool reviewed = std::any_of(std::begin(k_reviewed), std::end(k_reviewed),
                                          [&](const Reviewed& r) {
                                            return f.relative == r.file && arg == r.variable;
                                          });
        if (!reviewed) {
          violations.push_back(where + "SQL from '" + arg + "' (not a literal, k_ constant or "
                               "named_query): " + f.lines[i]);
        }
      }
      if (glues_data_to_sql(code)) {
        violations.push_back(where + "SQL literal glued to runtime text: " + f.lines[i]);
      }
    }
  }
  INFO([&] {
    std::string all;
    for (const auto& v : violations) all += v + "\n";
    return all;
  }());
  CHECK(calls_seen >= 10);
  CHECK(violations.empty());

  // The heuristics catch what they are meant to catch.
  CHECK(glues_data_to_sql(R"(c.exec("DELETE FROM messages WHERE id = " + id);)"));
  CHECK(glues_data_to_sql(R"(sql = "SELECT * FROM t WHERE name = '" + name + "'";)"));
  CHECK_FALSE(glues_data_to_sql(R"(sql += "\nPRAGMA user_version = " + std::to_string(i + 1) + ";";)"));
  CHECK_FALSE(glues_data_to_sql(R"(return "cannot open database " + path;)"));
  CHECK(fixed_sql(argument_of("c.prepare(k_select_reports);", "")));
  CHECK(fixed_sql(argument_of("c.prepare(", "    \"SELECT 1\");")));
  CHECK_FALSE(fixed_sql(argument_of("c.exec(query_text);", "")));
  CHECK(argument_of("sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message)", "")
        == "text.c_str()");
}
