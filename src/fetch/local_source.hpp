// Local inputs: .eml files, Maildir folders (cur/ + new/, Maildir++ subfolders, as in
// mailcow's vmail volume), mbox files, bare report files (.xml, .xml.gz, .zip, .json, ...),
// directories (recursive) and "-" for one message on stdin. What a file holds is decided
// from its content, never from its name; one file is read at a time, so memory is bounded
// by the largest single input.
#pragma once

#include "core/limits.hpp"
#include "fetch/source.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace dmarc::fetch {

class LocalSource final : public MessageSource
{
public:
  // `paths` as given on the command line; `stdin_file` is read for "-".
  LocalSource(std::vector<std::string> paths, const Limits& limits, std::FILE* stdin_file = stdin);
  ~LocalSource() override;
  Result<bool> next(SourceItem& item) override;

private:
  // Expands directories into files lazily; returns the next file path or "" at the end.
  std::string next_path();
  bool next_mbox_message(SourceItem& item);
  void push_directory(const std::string& dir);

  std::vector<std::string> m_pending;    // a stack: back() is next
  std::set<std::string> m_visited;       // canonical paths of the directories read so far
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
