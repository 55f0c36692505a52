#include "fetch/local_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace dmarc::fetch {

namespace fs = std::filesystem;

namespace {

bool is_maildir(const fs::path& dir)
{
  std::error_code ec;
  return fs::is_directory(dir / "cur", ec) || fs::is_directory(dir / "new", ec);
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes)
{
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return make_error(ErrorKind::io, std::string("cannot read: ") + std::strerror(errno));
  }
  std::string bytes;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec) {
    if (size > max_bytes) {
      std::fclose(f);
      return make_error(ErrorKind::too_large, "file larger than " + std::to_string(max_bytes)
                                                + " bytes (max_message_bytes)");
    }
    bytes.reserve(static_cast<std::size_t>(size));
  }
  char buffer[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    bytes.append(buffer, n);
    if (bytes.size() > max_bytes) {
      std::fclose(f);
      return make_error(ErrorKind::too_large, "input larger than " + std::to_string(max_bytes)
                                                + " bytes (max_message_bytes)");
    }
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) {
    return make_error(ErrorKind::io, "cannot read: read error");
  }
  return bytes;
}

// True when `line` (a "From " line) is a separator by its own shape: "From SENDER DATE"
// where DATE holds a time (h:mm or hh:mm[:ss]) and ends with the four-digit year, optionally
// followed by a zone, as every mbox writer puts it (asctime "Wed Nov 15 00:00:00 2023",
// Thunderbird's "From - ...", Google Takeout's "... +0000 2023"). A body line starting with
// "From " is escaped in an mbox, and an unescaped one ("From 10:30 on, ...") lacks that shape.
bool is_dated_separator(std::string_view line)
{
  std::vector<std::string_view> tokens;
  for (std::size_t pos = 5; pos < line.size();) {
    const std::size_t begin = line.find_first_not_of(" \t\r", pos);
    if (begin == std::string_view::npos) {
      break;
    }
    const std::size_t end = std::min(line.find_first_of(" \t\r", begin), line.size());
    tokens.push_back(line.substr(begin, end - begin));
    pos = end;
  }
  const auto all_digits = [](std::string_view t) {
    return !t.empty()
           && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const auto is_year = [&](std::string_view t) { return t.size() == 4 && all_digits(t); };
  const auto is_zone = [&](std::string_view t) {
    return (t.size() == 5 && (t[0] == '+' || t[0] == '-') && all_digits(t.substr(1)))
           || t == "UTC" || t == "GMT";
  };
  const auto is_time = [&](std::string_view t) {
    const std::size_t colon = t.find(':');
    if (colon == std::string_view::npos || colon < 1 || colon > 2
        || !all_digits(t.substr(0, colon)) || t.size() < colon + 3
        || !all_digits(t.substr(colon + 1, 2))) {
      return false;
    }
    return t.size() == colon + 3
           || (t.size() == colon + 6 && t[colon + 3] == ':' && all_digits(t.substr(colon + 4)));
  };
  if (tokens.size() < 4) { // sender, at least a day, a time and the year
    return false;
  }
  std::size_t last = tokens.size() - 1;
  if (is_zone(tokens[last])) {
    --last;
  }
  return is_year(tokens[last])
         && std::any_of(tokens.begin() + 1, tokens.begin() + static_cast<std::ptrdiff_t>(last),
                        is_time);
}

} // namespace

bool looks_like_mbox(std::string_view first_bytes)
{
  return first_bytes.substr(0, 5) == "From ";
}

LocalSource::LocalSource(std::vector<std::string> paths, const Limits& limits, std::FILE* stdin_file)
  : m_limits(limits), m_stdin(stdin_file)
{
  m_pending.assign(paths.rbegin(), paths.rend());
}

LocalSource::~LocalSource() = default;

void LocalSource::skip_database_files(const std::string& db_path)
{
  if (db_path.empty() || db_path == ":memory:") {
    return;
  }
  std::error_code ec;
  const fs::path db = fs::weakly_canonical(db_path, ec);
  if (ec) {
    return;
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    m_skipped.insert(db.string() + suffix);
  }
}

void LocalSource::push_directory(const std::string& dir)
{
  std::vector<std::string> files;
  std::vector<std::string> dirs;
  std::error_code ec;
  const fs::path root(dir);
  const bool maildir = is_maildir(root);
  // A directory that cannot be listed is an unreadable input, named, like a file that
  // cannot be read (a silent skip would report "0 reports imported" with exit 0).
  const auto unreadable = [this](const fs::path& where, const std::error_code& error) {
    m_unreadable.emplace_back(where.string(), "cannot read directory: " + error.message());
  };
  auto collect = [&](const fs::path& where, bool only_files) {
    ec.clear();
    fs::directory_iterator it(where, ec);
    if (ec) {
      unreadable(where, ec);
      return;
    }
    for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      const auto status = it->status(type_ec);
      if (fs::is_regular_file(status)) {
        if (!m_skipped.empty() && m_skipped.count(fs::weakly_canonical(it->path(), type_ec).string()) > 0) {
          continue;
        }
        files.push_back(it->path().string());
      } else if (!only_files && fs::is_directory(status)) {
        dirs.push_back(it->path().string());
      }
    }
  };
  if (maildir) {
    // Messages live in cur/ and new/ (tmp/ holds deliveries in progress); subfolders of a
    // Maildir++ tree (".Archive", ...) are Maildirs themselves. Dovecot's index and
    // uidlist files beside them are not messages.
    for (const char* sub : {"cur", "new"}) {
      if (fs::is_directory(root / sub, ec)) {
        collect(root / sub, true);
      }
    }
    ec.clear();
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code type_ec;
      // The folders messages are moved to after their commit are not read again.
      const auto is_action_folder = [&name](const std::string& folder) {
        return !folder.empty() && name.size() > folder.size()
               && name.compare(name.size() - folder.size() - 1, std::string::npos, "." + folder) == 0;
      };
      if (is_action_folder(m_actions.archive) || is_action_folder(m_actions.invalid)) {
        continue;
      }
      if (name != "cur" && name != "new" && name != "tmp" && it->is_directory(type_ec)
          && is_maildir(it->path())) {
        dirs.push_back(it->path().string());
      }
    }
  } else {
    collect(root, false);
  }
  std::sort(files.begin(), files.end());
  std::sort(dirs.begin(), dirs.end());
  // Stack order: files of this directory first, then its subdirectories, all sorted.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    m_pending.push_back(*it);
  }
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    m_pending.push_back(*it);
  }
}

void LocalSource::set_maildir_actions(MaildirActions actions)
{
  m_actions = std::move(actions);
}

Result<void> LocalSource::committed(const SourceItem& item, MessageStatus status)
{
  const std::string& folder =
    status == MessageStatus::rejected ? m_actions.invalid : m_actions.archive;
  if (folder.empty() || item.error || item.meta.source == "-"
      || item.meta.source.find('#') != std::string::npos) {
    return {};
  }
  const fs::path file(item.meta.source);
  const fs::path box = file.parent_path();            // cur/ or new/
  const std::string box_name = box.filename().string();
  if (box_name != "cur" && box_name != "new") {
    return {};
  }
  const fs::path maildir = box.parent_path();
  const std::string maildir_name = maildir.filename().string();
  // Maildir++: folders live at the top as ".Folder", a folder's folder as ".Folder.Sub".
  const fs::path target = maildir_name.rfind('.', 0) == 0
                            ? maildir.parent_path() / (maildir_name + "." + folder)
                            : maildir / ("." + folder);
  std::error_code ec;
  for (const char* sub : {"cur", "new", "tmp"}) {
    fs::create_directories(target / sub, ec);
    if (ec) {
      m_move_errors.push_back("cannot create " + (target / sub).string() + ": " + ec.message());
      return {};
    }
  }
  std::string name = file.filename().string();
  if (box_name == "new" && name.find(':') == std::string::npos) {
    name += ":2,"; // a message leaving new/ gets its (empty) info part
  }
  fs::rename(file, target / "cur" / name, ec);
  if (ec) {
    m_move_errors.push_back("cannot move " + file.string() + " to " + (target / "cur").string()
                            + ": " + ec.message());
    return {};
  }
  ++m_moved;
  return {};
}

std::string LocalSource::next_path()
{
  while (!m_pending.empty()) {
    std::string path = std::move(m_pending.back());
    m_pending.pop_back();
    std::error_code ec;
    if (path != "-" && fs::is_directory(path, ec)) {
      // A directory reached twice (a symlink to a parent, two paths to one Maildir) is
      // read once: a loop would otherwise import until the path gets too long.
      const fs::path real = fs::canonical(path, ec);
      if (!ec && !m_visited.insert(real.string()).second) {
        continue;
      }
      push_directory(path);
      continue;
    }
    return path;
  }
  return {};
}

bool LocalSource::next_mbox_message(SourceItem& item)
{
  // mboxrd/mboxo: a message runs from its "From " line to the next one; ">From " lines
  // inside lose one '>'. The separator line itself is not part of the message. A "From "
  // line is a separator when it carries a date (is_dated_separator), with or without an
  // empty line before it: writers that leave the empty line out exist, and unescaped body
  // lines after an empty line ("From the DMARC team:") in a single saved mail are no
  // separators.
  std::string bytes;
  std::string line;
  bool saw_any = false;
  while (std::getline(*m_mbox, line)) {
    if (line.rfind("From ", 0) == 0 && (bytes.empty() || is_dated_separator(line))) {
      if (saw_any) {
        m_mbox_line = line;
        break;
      }
      saw_any = true;
      continue;
    }
    saw_any = true;
    std::size_t gt = 0;
    while (gt < line.size() && line[gt] == '>') {
      ++gt;
    }
    if (gt > 0 && line.compare(gt, 5, "From ") == 0) {
      line.erase(0, 1);
    }
    bytes += line;
    bytes += '\n';
    if (bytes.size() > m_limits.max_message_bytes) {
      item.error = make_error(ErrorKind::too_large, "mbox message larger than "
                                                      + std::to_string(m_limits.max_message_bytes)
                                                      + " bytes (max_message_bytes)");
      // Skip to the next separator.
      bytes.clear();
      while (std::getline(*m_mbox, line)) {
        if (line.rfind("From ", 0) == 0 && is_dated_separator(line)) {
          m_mbox_line = line;
          break;
        }
      }
      break;
    }
  }
  if (!saw_any) {
    m_mbox.reset();
    return false;
  }
  // The blank line before the next separator belongs to the mbox format, not the message.
  if (bytes.ends_with("\n\n")) {
    bytes.pop_back();
  }
  ++m_mbox_index;
  item.meta.source = m_mbox_path + "#" + std::to_string(m_mbox_index);
  item.bytes = std::move(bytes);
  if (!*m_mbox && m_mbox->eof()) {
    m_mbox.reset();
  }
  return true;
}

Result<bool> LocalSource::next(SourceItem& item)
{
  item = SourceItem{};
  if (m_mbox) {
    if (next_mbox_message(item)) {
      return true;
    }
    item = SourceItem{};
  }
  for (;;) {
    std::string path = next_path();
    if (!m_unreadable.empty()) {
      if (!path.empty()) {
        m_pending.push_back(std::move(path)); // after the directory that held it
      }
      item.meta.source = std::move(m_unreadable.front().first);
      item.error = make_error(ErrorKind::io, std::move(m_unreadable.front().second));
      m_unreadable.erase(m_unreadable.begin());
      return true;
    }
    if (path.empty()) {
      return false;
    }
    std::error_code skip_ec;
    if (!m_skipped.empty() && path != "-"
        && m_skipped.count(fs::weakly_canonical(path, skip_ec).string()) > 0) {
      continue; // the database named on the command line, too
    }
    item.meta.source = path;
    if (path == "-") {
      std::string bytes;
      char buffer[1 << 16];
      std::size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, m_stdin)) > 0) {
        bytes.append(buffer, n);
        if (bytes.size() > m_limits.max_message_bytes) {
          item.error = make_error(ErrorKind::too_large,
                                  "input larger than " + std::to_string(m_limits.max_message_bytes)
                                    + " bytes (max_message_bytes)");
          return true;
        }
      }
      item.bytes = std::move(bytes);
      return true;
    }
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      item.error = make_error(ErrorKind::io, "cannot read: no such file or directory");
      return true;
    }
    // An mbox is split into its messages; peek at the first bytes to tell.
    {
      std::ifstream probe(path, std::ios::binary);
      char head[5] = {};
      probe.read(head, 5);
      if (probe.gcount() == 5 && looks_like_mbox(std::string_view(head, 5))) {
        m_mbox = std::make_unique<std::ifstream>(path, std::ios::binary);
        m_mbox_path = path;
        m_mbox_index = 0;
        if (next_mbox_message(item)) {
          return true;
        }
        item = SourceItem{};
        continue;
      }
    }
    auto bytes = read_file(path, m_limits.max_message_bytes);
    if (!bytes) {
      item.error = bytes.error();
    } else {
      item.bytes = std::move(*bytes);
    }
    return true;
  }
}

} // namespace dmarc::fetch
