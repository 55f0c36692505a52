// Local inputs: .eml files, Maildir folders (cur/ + new/, Maildir++ subfolders, as in
// mailcow's vmail volume), mbox files, bare report files (.xml, .xml.gz, .zip, .json, ...),
// directories (recursive) and "-" for one message on stdin. What a file holds is decided
// from its content, never from its name; one file is read at a time, so memory is bounded
// by the largest single input.
#pragma once

#include "core/limits.hpp"
#include "fetch/source.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace dmarc::fetch {

// What `run` does with a Maildir message once its data is committed ([[local]] after).
// Folders are Maildir++ folders beside cur/ and new/: "Archive" is <Maildir>/.Archive/.
struct MaildirActions
{
  std::string archive;               // stored messages go here; "" leaves them
  std::string invalid;               // messages without a report go here; "" leaves them
};

class LocalSource final : public MessageSource
{
public:
  // `paths` as given on the command line; `stdin_file` is read for "-".
  LocalSource(std::vector<std::string> paths, const Limits& limits, std::FILE* stdin_file = stdin);
  ~LocalSource() override;
  // Files never read as inputs: the open database and its -wal, -shm and -journal files
  // (`import .` in the database's directory). Matched by their canonical path.
  void skip_database_files(const std::string& db_path);
  // Moves Maildir messages after their commit (only files in a Maildir's cur/ or new/;
  // other files are left). The archive and invalid folders are not read as inputs.
  void set_maildir_actions(MaildirActions actions);
  // Applies the Maildir action to a committed message. A move that fails leaves the
  // message (a duplicate on the next run) and is listed in move_errors().
  Result<void> committed(const SourceItem& item, MessageStatus status) override;
  int64_t moved() const { return m_moved; }
  const std::vector<std::string>& move_errors() const { return m_move_errors; }
  Result<bool> next(SourceItem& item) override;

private:
  // Expands directories into files lazily; returns the next file path or "" at the end.
  std::string next_path();
  bool next_mbox_message(SourceItem& item);
  void push_directory(const std::string& dir);

  std::vector<std::string> m_pending;    // a stack: back() is next
  std::set<std::string> m_visited;       // canonical paths of the directories read so far
  std::set<std::string> m_skipped;       // canonical paths of files that are no inputs
  MaildirActions m_actions;
  int64_t m_moved = 0;
  std::vector<std::string> m_move_errors;
  // Directories found in a walk that could not be listed ("PATH: cannot read directory: why"),
  // handed out as unreadable items before the next path.
  std::vector<std::pair<std::string, std::string>> m_unreadable;
  const Limits& m_limits;
  std::FILE* m_stdin;
  // The mbox being split, if any.
  std::unique_ptr<std::ifstream> m_mbox;
  std::string m_mbox_path;
  std::string m_mbox_line;               // the "From " line that starts the next message
  int m_mbox_index = 0;
};

// True when `first_bytes` start like an mbox file ("From " separator line).
bool looks_like_mbox(std::string_view first_bytes);

} // namespace dmarc::fetch
