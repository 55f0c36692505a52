// Helpers shared by the ④ parse unit tests: reading fixture files and the tables in the
// fixture READMEs, so each README is the single list of what its fixtures must yield.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::formats::test {

inline const std::filesystem::path k_fixtures = DMARC_FIXTURES_DIR;
inline const std::filesystem::path k_corpus = DMARC_CORPUS_DIR;

// The whole file as bytes ("" when it cannot be read; tests check the size separately).
inline std::string read_file(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fixture under fixtures/, e.g. fixture("dmarc/bom.xml").
inline std::string fixture(std::string_view relative)
{
  return read_file(k_fixtures / relative);
}

// The rows of every Markdown table line "| `file` | a | b |" in `markdown`: each row's cells,
// trimmed, with the backticks around a cell removed.
inline std::vector<std::vector<std::string>> table_rows(std::string_view markdown)
{
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines{std::string(markdown)};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) {
      continue;
    }
    std::vector<std::string> cells;
    std::size_t start = 1;
    for (std::size_t bar = line.find('|', start); bar != std::string::npos;
         bar = line.find('|', start)) {
      std::string cell = line.substr(start, bar - start);
      const auto first = cell.find_first_not_of(' ');
      const auto last = cell.find_last_not_of(' ');
      cell = first == std::string::npos ? "" : cell.substr(first, last - first + 1);
      if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') {
        cell = cell.substr(1, cell.size() - 2);
      }
      cells.push_back(cell);
      start = bar + 1;
    }
    rows.push_back(cells);
  }
  return rows;
}

} // namespace dmarc::formats::test
