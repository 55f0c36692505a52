// ImapSource against a fake IMAP session: the order of events is the contract. A message is
// moved, flagged or deleted only after the store committed it; the cursor passes a message
// only after its after action; a broken connection or a failing store leaves every
// uncommitted message where it was. (tests/integration/imap runs the same against Dovecot.)
#include "fetch/imap_source.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace dmarc;
using namespace dmarc::fetch;

namespace {

struct FakeMessage
{
  int64_t uid;
  std::string body;
  bool seen = false;
  bool deleted = false;
};

struct FakeMailbox
{
  int64_t uidvalidity = 1000;
  int64_t uidnext = 1;
  std::vector<FakeMessage> messages;
};

// An in-memory IMAP server; every action is written to a journal shared with the "store".
class FakeSession final : public net::ImapSession
{
public:
  FakeSession(std::map<std::string, FakeMailbox>& boxes, std::vector<std::string>& journal)
    : m_boxes(boxes), m_journal(journal)
  {
  }

  bool has_capability(std::string_view) const override { return true; }
  bool broken() const override { return m_broken; }

  Result<bool> mailbox_exists(const std::string& name) override
  {
    if (auto r = check(); !r) {
      return r.error();
    }
    return m_boxes.count(name) != 0;
  }
  Result<void> create_mailbox(const std::string& name) override
  {
    m_journal.push_back("create " + name);
    m_boxes[name];
    return check();
  }
  Result<net::SelectedMailbox> select(const std::string& name, bool read_only) override
  {
    if (auto r = check(); !r) {
      return r.error();
    }
    if (m_boxes.count(name) == 0) {
      return make_error(ErrorKind::network, "select \"" + name + "\" failed: NO no such mailbox");
    }
    m_selected = name;
    const FakeMailbox& box = m_boxes[name];
    m_journal.push_back(std::string(read_only ? "examine " : "select ") + name);
    return net::SelectedMailbox{box.uidvalidity, box.uidnext,
                                static_cast<int64_t>(box.messages.size()), read_only};
  }
  Result<std::vector<net::UidSize>> list_from(int64_t first_uid) override
  {
    if (auto r = check(); !r) {
      return r.error();
    }
    std::vector<net::UidSize> out;
    for (const FakeMessage& m : box().messages) {
      if (m.uid >= first_uid) {
        out.push_back({m.uid, static_cast<int64_t>(m.body.size())});
      }
    }
    return out;
  }
  Result<void> begin_fetch(const std::vector<int64_t>& uids) override
  {
    if (auto r = check(); !r) {
      return r;
    }
    std::string line = "fetch";
    m_queue.clear();
    for (int64_t uid : uids) {
      line += " " + std::to_string(uid);
      m_queue.push_back(uid);
    }
    m_journal.push_back(line);
    return {};
  }
  Result<bool> next_fetched(net::FetchedMessage& message) override
  {
    if (auto r = check(); !r) {
      return r.error();
    }
    while (!m_queue.empty()) {
      const int64_t uid = m_queue.front();
      m_queue.erase(m_queue.begin());
      for (const FakeMessage& m : box().messages) {
        if (m.uid == uid) {
          message.uid = uid;
          message.body = m.body;
          return true;
        }
      }
    }
    return false;
  }
  Result<void> move(const std::vector<int64_t>& uids, const std::string& target) override
  {
    if (auto r = check(); !r) {
      return r;
    }
    m_journal.push_back("move " + join(uids) + " -> " + target);
    FakeMailbox& to = m_boxes[target];
    auto& from = box().messages;
    for (int64_t uid : uids) {
      auto it = std::find_if(from.begin(), from.end(), [&](const FakeMessage& m) { return m.uid == uid; });
      REQUIRE(it != from.end());
      FakeMessage moved = *it;
      moved.uid = to.uidnext++;
      to.messages.push_back(moved);
      from.erase(it);
    }
    return {};
  }
  Result<void> add_flag(const std::vector<int64_t>& uids, std::string_view flag) override
  {
    if (auto r = check(); !r) {
      return r;
    }
    m_journal.push_back("flag " + join(uids) + " " + std::string(flag));
    for (FakeMessage& m : box().messages) {
      if (std::find(uids.begin(), uids.end(), m.uid) != uids.end()) {
        m.seen = true;
      }
    }
    return {};
  }
  Result<void> remove(const std::vector<int64_t>& uids) override
  {
    if (auto r = check(); !r) {
      return r;
    }
    m_journal.push_back("delete " + join(uids));
    auto& messages = box().messages;
    messages.erase(std::remove_if(messages.begin(), messages.end(),
                                  [&](const FakeMessage& m) {
                                    return std::find(uids.begin(), uids.end(), m.uid) != uids.end();
                                  }),
                   messages.end());
    return {};
  }
  Result<void> logout() override
  {
    m_journal.push_back("logout");
    return {};
  }

  // The connection breaks when the journal reaches `n` entries.
  void break_at(std::size_t n) { m_break_at = n; }

  static std::string join(const std::vector<int64_t>& uids)
  {
    std::string out;
    for (int64_t uid : uids) {
      out += (out.empty() ? "" : ",") + std::to_string(uid);
    }
    return out;
  }

private:
  Result<void> check()
  {
    if (m_journal.size() >= m_break_at) {
      m_broken = true;
    }
    if (m_broken) {
      return make_error(ErrorKind::network, "fetch failed: the server closed the connection");
    }
    return {};
  }
  FakeMailbox& box() { return m_boxes[m_selected]; }

  std::map<std::string, FakeMailbox>& m_boxes;
  std::vector<std::string>& m_journal;
  std::string m_selected;
  std::vector<int64_t> m_queue;
  bool m_broken = false;
  std::size_t m_break_at = SIZE_MAX;
};

class MapCursors final : public ImapCursorStore
{
public:
  explicit MapCursors(std::vector<std::string>& journal) : m_journal(journal) {}
  Result<std::optional<ImapCursor>> load(const std::string& account, const std::string& mailbox) override
  {
    auto it = cursors.find(account + "/" + mailbox);
    if (it == cursors.end()) {
      return std::optional<ImapCursor>();
    }
    return std::optional<ImapCursor>(it->second);
  }
  Result<void> save(const std::string& account, const std::string& mailbox, const ImapCursor& cursor) override
  {
    cursors[account + "/" + mailbox] = cursor;
    m_journal.push_back("cursor " + mailbox + " " + std::to_string(cursor.last_uid));
    return {};
  }
  Result<void> make_durable(const std::string&, const std::string& mailbox, int64_t, int64_t stored) override
  {
    m_journal.push_back("sync " + mailbox + " " + std::to_string(stored));
    return {};
  }
  std::map<std::string, ImapCursor> cursors;

private:
  std::vector<std::string>& m_journal;
};

// Adds messages to a mailbox; a body starting with "bad" is one the store rejects.
void deliver(FakeMailbox& box, std::initializer_list<std::string> bodies)
{
  for (const std::string& body : bodies) {
    box.messages.push_back({box.uidnext++, body});
  }
}

struct Run
{
  int handed = 0;
  std::optional<Error> error;
};

// The pipeline's part: every item is "stored" (journal "commit UID") then committed().
// `fail_store_at` makes the N-th store fail, which ends the run like run_import does.
Run drive(ImapSource& source, std::vector<std::string>& journal, int fail_store_at = -1)
{
  Run run;
  SourceItem item;
  for (;;) {
    auto more = source.next(item);
    if (!more) {
      run.error = more.error();
      break;
    }
    if (!*more) {
      break;
    }
    ++run.handed;
    if (run.handed == fail_store_at) {
      run.error = make_error(ErrorKind::database, "disk full");
      break;
    }
    const MessageStatus status = item.error || item.bytes.rfind("bad", 0) == 0
                                   ? MessageStatus::rejected
                                   : MessageStatus::imported;
    journal.push_back("commit " + std::to_string(*item.meta.uid));
    REQUIRE(source.committed(item, status).ok());
  }
  REQUIRE(source.close().ok());
  return run;
}

// Every UID moved, flagged or deleted must have been committed earlier in the journal.
void check_never_before_commit(const std::vector<std::string>& journal)
{
  std::set<std::string> committed;
  for (const std::string& line : journal) {
    if (line.rfind("commit ", 0) == 0) {
      committed.insert(line.substr(7));
      continue;
    }
    for (const char* verb : {"move ", "flag ", "delete "}) {
      if (line.rfind(verb, 0) != 0) {
        continue;
      }
      std::string uids = line.substr(std::string(verb).size());
      uids = uids.substr(0, uids.find(' '));
      std::size_t start = 0;
      while (start <= uids.size()) {
        const auto comma = uids.find(',', start);
        const std::string uid = uids.substr(start, comma - start);
        INFO(line);
        CHECK(committed.count(uid) == 1);
        if (comma == std::string::npos) {
          break;
        }
        start = comma + 1;
      }
    }
  }
}

ImapSourceOptions options(AfterAction after, int batch = 2)
{
  ImapSourceOptions o;
  o.account = "dmarc";
  o.mailboxes = {"INBOX"};
  o.after = after;
  o.archive = "Archive";
  o.invalid = "Invalid";
  o.batch = batch;
  return o;
}

} // namespace

TEST_CASE("move: each batch is moved after all of it is committed, then the cursor advances")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["INBOX"], {"r1", "r2", "bad3", "r4", "r5"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  ImapSource source(session, cursors, options(AfterAction::move));
  const Run run = drive(source, journal);
  REQUIRE_FALSE(run.error);
  CHECK(run.handed == 5);

  const std::vector<std::string> expected = {
    "select INBOX", "cursor INBOX 0",
    "fetch 1 2", "commit 1", "commit 2", "sync INBOX 2", "create Archive", "move 1,2 -> Archive",
    "cursor INBOX 2",
    "fetch 3 4", "commit 3", "commit 4", "sync INBOX 4", "move 4 -> Archive",
    "create Invalid", "move 3 -> Invalid", "cursor INBOX 4",
    "fetch 5", "commit 5", "sync INBOX 5", "move 5 -> Archive", "cursor INBOX 5",
    "logout"};
  CHECK(journal == expected);
  CHECK(boxes["INBOX"].messages.empty());
  CHECK(boxes["Archive"].messages.size() == 4);
  CHECK(boxes["Invalid"].messages.size() == 1);
  REQUIRE(source.outcomes().size() == 1);
  const MailboxOutcome& o = source.outcomes()[0];
  CHECK(o.found == 5);
  CHECK(o.fetched == 5);
  CHECK(o.archived == 4);
  CHECK(o.to_invalid == 1);
  CHECK_FALSE(o.error);
  check_never_before_commit(journal);
}

TEST_CASE("items carry the IMAP origin")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  boxes["Report Box"].uidvalidity = 77;
  deliver(boxes["Report Box"], {"r1"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  auto o = options(AfterAction::leave);
  o.mailboxes = {"Report Box"};
  ImapSource source(session, cursors, o);
  SourceItem item;
  REQUIRE(*source.next(item));
  CHECK(item.meta.source == "imap://dmarc/Report Box");
  CHECK(item.meta.account == "dmarc");
  CHECK(item.meta.mailbox == "Report Box");
  CHECK(item.meta.uidvalidity == 77);
  CHECK(item.meta.uid == 1);
  CHECK(item.bytes == "r1");
  CHECK(source.current_uid() == 1);
}

TEST_CASE("a failing store stops the run: committed messages are moved, the rest stays")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["INBOX"], {"r1", "r2", "r3", "r4", "r5"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  ImapSource source(session, cursors, options(AfterAction::move, 4));
  const Run run = drive(source, journal, 3); // the store fails on the third message
  REQUIRE(run.error);
  // 1 and 2 were committed and are moved by close(); 3, 4, 5 stay for the next run.
  CHECK(std::find(journal.begin(), journal.end(), "move 1,2 -> Archive") != journal.end());
  CHECK(boxes["INBOX"].messages.size() == 3);
  CHECK(cursors.cursors["dmarc/INBOX"].last_uid == 2);
  check_never_before_commit(journal);
}

TEST_CASE("a broken connection moves nothing that was not yet moved, and the cursor stays")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["INBOX"], {"r1", "r2", "r3", "r4"});
  FakeSession session(boxes, journal);
  session.break_at(6); // after "fetch 1 2", "commit 1", "commit 2": the sync goes, the move fails
  MapCursors cursors(journal);
  ImapSource source(session, cursors, options(AfterAction::move));
  const Run run = drive(source, journal);
  REQUIRE(run.error);
  CHECK(run.error->detail.find("mailbox \"INBOX\": ") == 0);
  CHECK(boxes["INBOX"].messages.size() == 4);
  CHECK(cursors.cursors["dmarc/INBOX"].last_uid == 0);
  CHECK(std::none_of(journal.begin(), journal.end(),
                     [](const std::string& l) { return l.rfind("move", 0) == 0; }));
}

TEST_CASE("seen, delete and leave; a rerun fetches nothing old")
{
  for (AfterAction after : {AfterAction::seen, AfterAction::remove, AfterAction::leave}) {
    std::map<std::string, FakeMailbox> boxes;
    std::vector<std::string> journal;
    deliver(boxes["INBOX"], {"r1", "r2", "r3"});
    FakeSession session(boxes, journal);
    MapCursors cursors(journal);
    auto o = options(after, 10);
    o.invalid = "";
    {
      ImapSource source(session, cursors, o);
      REQUIRE_FALSE(drive(source, journal).error);
    }
    check_never_before_commit(journal);
    const bool synced = std::any_of(journal.begin(), journal.end(),
                                    [](const std::string& l) { return l.rfind("sync", 0) == 0; });
    CHECK(synced == (after == AfterAction::remove)); // durability matters where data goes away
    CHECK(cursors.cursors["dmarc/INBOX"].last_uid == 3);
    if (after == AfterAction::remove) {
      CHECK(boxes["INBOX"].messages.empty());
    } else {
      REQUIRE(boxes["INBOX"].messages.size() == 3);
      CHECK(boxes["INBOX"].messages[0].seen == (after == AfterAction::seen));
    }
    if (after == AfterAction::leave) {
      CHECK(journal.front() == "examine INBOX"); // nothing can change: read-only
    }
    // A rerun: nothing is fetched.
    journal.clear();
    deliver(boxes["INBOX"], {"r4"});
    ImapSource again(session, cursors, o);
    const Run run = drive(again, journal);
    CHECK(run.handed == 1);
    CHECK(std::find(journal.begin(), journal.end(), "fetch 4") != journal.end());
  }
}

TEST_CASE("a new UIDVALIDITY reads the mailbox again from the start")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["INBOX"], {"r1", "r2"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  cursors.cursors["dmarc/INBOX"] = {999, 2};  // another UIDVALIDITY, same UIDs
  ImapSource source(session, cursors, options(AfterAction::leave));
  const Run run = drive(source, journal);
  CHECK(run.handed == 2);
  REQUIRE(source.outcomes().size() == 1);
  CHECK(source.outcomes()[0].rescanned);
  CHECK(cursors.cursors["dmarc/INBOX"].uidvalidity == 1000);
  CHECK(cursors.cursors["dmarc/INBOX"].last_uid == 2);

  // Same UIDVALIDITY: nothing again.
  journal.clear();
  ImapSource same(session, cursors, options(AfterAction::leave));
  CHECK(drive(same, journal).handed == 0);
}

TEST_CASE("a message above max_message_bytes is rejected as too-large without downloading it")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["INBOX"], {"r1", std::string(100, 'x'), "r3"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  auto o = options(AfterAction::move, 10);
  o.max_message_bytes = 50;
  ImapSource source(session, cursors, o);
  SourceItem item;
  REQUIRE(*source.next(item));
  CHECK(item.meta.uid == 2);
  REQUIRE(item.error);
  CHECK(item.error->kind == ErrorKind::too_large);
  CHECK(item.meta.size == 100);
  CHECK_FALSE(item.meta.checksum.empty());
  REQUIRE(source.committed(item, MessageStatus::rejected).ok());
  journal.push_back("commit 2");
  const Run rest = drive(source, journal);
  CHECK(rest.handed == 2);
  CHECK(std::find(journal.begin(), journal.end(), "fetch 1 3") != journal.end());
  CHECK(std::find(journal.begin(), journal.end(), "move 2 -> Invalid") != journal.end());
  check_never_before_commit(journal);
}

TEST_CASE("a missing mailbox is reported and the next one is still fetched")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["Second"], {"r1"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  auto o = options(AfterAction::move);
  o.mailboxes = {"Nope", "Second"};
  ImapSource source(session, cursors, o);
  const Run run = drive(source, journal);
  CHECK_FALSE(run.error);
  CHECK(run.handed == 1);
  REQUIRE(source.outcomes().size() == 2);
  REQUIRE(source.outcomes()[0].error);
  CHECK(source.outcomes()[0].error->detail == "mailbox \"Nope\": select \"Nope\" failed: NO no such mailbox");
  CHECK(source.outcomes()[1].archived == 1);
}

TEST_CASE("archive = the fetched mailbox is refused instead of looping")
{
  std::map<std::string, FakeMailbox> boxes;
  std::vector<std::string> journal;
  deliver(boxes["INBOX"], {"r1"});
  FakeSession session(boxes, journal);
  MapCursors cursors(journal);
  auto o = options(AfterAction::move);
  o.archive = "INBOX";
  ImapSource source(session, cursors, o);
  CHECK(drive(source, journal).handed == 0);
  REQUIRE(source.outcomes()[0].error);
  CHECK(boxes["INBOX"].messages.size() == 1);
}
