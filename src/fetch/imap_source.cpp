#include "fetch/imap_source.hpp"

#include "core/checksum.hpp"

#include <algorithm>
#include <cctype>

namespace dmarc::fetch {

namespace {

// Levenshtein distance, case-insensitive (mailbox names differ in case more than in spelling).
std::size_t distance(std::string_view a, std::string_view b)
{
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1]))
                        == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

} // namespace

std::string nearest_first(std::vector<std::string> names, std::string_view wanted)
{
  std::stable_sort(names.begin(), names.end(), [&](const std::string& x, const std::string& y) {
    return distance(x, wanted) < distance(y, wanted);
  });
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "" : ", ") + ("\"" + name + "\"");
  }
  return out;
}

namespace {

std::string quoted(const std::string& name)
{
  return "\"" + name + "\"";
}

std::vector<int64_t> keys(const std::map<int64_t, MessageStatus>& statuses, bool rejected)
{
  std::vector<int64_t> out;
  for (const auto& [uid, status] : statuses) {
    if ((status == MessageStatus::rejected) == rejected) {
      out.push_back(uid);
    }
  }
  return out;
}

} // namespace

ImapSource::ImapSource(net::ImapSession& session, ImapCursorStore& cursors, ImapSourceOptions options)
  : m_session(session), m_cursors(cursors), m_options(std::move(options))
{
  if (m_options.batch < 1) {
    m_options.batch = 1;
  }
}

ImapSource::Progress ImapSource::progress() const
{
  return {m_mailbox, m_handed_in_mailbox, static_cast<int64_t>(m_pending.size())};
}

Error ImapSource::account_error(const Error& error) const
{
  if (m_mailbox.empty()) {
    return error;
  }
  return make_error(error.kind, "mailbox " + quoted(m_mailbox) + ": " + error.detail);
}

void ImapSource::mailbox_failed(const Error& error)
{
  if (!m_outcomes.empty() && !m_outcomes.back().error) {
    m_outcomes.back().error = account_error(error);
  }
  m_phase = Phase::open_mailbox;
}

void ImapSource::fill_meta(SourceItem& item, int64_t uid) const
{
  item.meta = MessageMeta{};
  item.meta.source = "imap://" + m_options.account + "/" + m_mailbox;
  item.meta.account = m_options.account;
  item.meta.mailbox = m_mailbox;
  item.meta.uidvalidity = m_uidvalidity;
  item.meta.uid = uid;
  item.bytes.clear();
  item.error.reset();
}

Result<void> ImapSource::open_mailbox(const std::string& mailbox)
{
  m_mailbox = mailbox;
  MailboxOutcome outcome;
  outcome.mailbox = mailbox;
  m_outcomes.push_back(std::move(outcome));
  m_pending.clear();
  m_pending_pos = 0;
  m_handed_in_mailbox = 0;
  m_batch = Batch{};
  if (m_options.after == AfterAction::move && m_options.archive == mailbox) {
    return make_error(ErrorKind::config, "archive is the fetched mailbox itself; choose another");
  }
  // Nothing is ever changed in the mailbox only with after = "leave" and invalid = "".
  const bool read_only = m_options.after == AfterAction::leave && m_options.invalid.empty();
  auto selected = m_session.select(mailbox, read_only);
  if (!selected) {
    return with_existing_mailboxes(selected.error(), mailbox);
  }
  if (selected->read_only && !read_only) {
    return make_error(ErrorKind::network, "the server opened the mailbox read-only");
  }
  m_uidvalidity = selected->uidvalidity;
  auto cursor = m_cursors.load(m_options.account, mailbox);
  if (!cursor) {
    return cursor.error();
  }
  int64_t first = 1;
  if (*cursor && (*cursor)->uidvalidity == m_uidvalidity) {
    m_cursor_uid = (*cursor)->last_uid;
    first = m_cursor_uid + 1;
  } else {
    m_outcomes.back().rescanned = cursor->has_value();
    m_cursor_uid = 0;
    if (auto r = m_cursors.save(m_options.account, mailbox, {m_uidvalidity, 0}); !r) {
      return r;
    }
  }
  if (selected->exists == 0 || (selected->uidnext > 0 && selected->uidnext <= first)) {
    return {};
  }
  auto listed = m_session.list_from(first);
  if (!listed) {
    return listed.error();
  }
  m_pending = std::move(*listed);
  m_outcomes.back().found = static_cast<int64_t>(m_pending.size());
  return {};
}

void ImapSource::start_batch()
{
  m_batch = Batch{};
  const std::size_t end =
    std::min(m_pending.size(), m_pending_pos + static_cast<std::size_t>(m_options.batch));
  for (std::size_t i = m_pending_pos; i < end; ++i) {
    const net::UidSize& m = m_pending[i];
    m_batch.listed.push_back(m);
    if (m.size > static_cast<int64_t>(m_options.max_message_bytes)) {
      m_batch.oversized.push_back(m.uid);
    } else {
      m_batch.to_fetch.insert(m.uid);
    }
  }
  m_pending_pos = end;
}

Result<bool> ImapSource::next(SourceItem& item)
{
  for (;;) {
    switch (m_phase) {
    case Phase::done:
      return false;

    case Phase::open_mailbox: {
      if (m_next_mailbox >= m_options.mailboxes.size()) {
        m_phase = Phase::done;
        m_mailbox.clear();
        return false;
      }
      m_phase = Phase::start_batch;
      if (auto r = open_mailbox(m_options.mailboxes[m_next_mailbox++]); !r) {
        if (m_session.broken() || r.error().kind == ErrorKind::database) {
          return account_error(r.error());
        }
        mailbox_failed(r.error());
      }
      continue;
    }

    case Phase::start_batch:
      if (m_pending_pos >= m_pending.size()) {
        m_phase = Phase::open_mailbox;
        continue;
      }
      start_batch();
      m_phase = Phase::oversized;
      continue;

    case Phase::oversized:
      if (m_batch.next_oversized < m_batch.oversized.size()) {
        const int64_t uid = m_batch.oversized[m_batch.next_oversized++];
        const auto it = std::find_if(m_batch.listed.begin(), m_batch.listed.end(),
                                     [uid](const net::UidSize& m) { return m.uid == uid; });
        fill_meta(item, uid);
        item.meta.size = it->size;
        // Not downloaded, so no content checksum: the IMAP identity stands in for it.
        item.meta.checksum = checksum("imap\n" + m_options.account + "\n" + m_mailbox + "\n"
                                      + std::to_string(m_uidvalidity) + "\n" + std::to_string(uid));
        item.error = make_error(ErrorKind::too_large,
                                "message of " + std::to_string(it->size)
                                  + " bytes is larger than max_message_bytes ("
                                  + std::to_string(m_options.max_message_bytes) + ")");
        m_batch.handed.insert(uid);
        m_current_uid = uid;
        ++m_handed_in_mailbox;
        return true;
      }
      if (m_batch.to_fetch.empty()) {
        m_phase = Phase::finish_batch;
        continue;
      }
      if (auto r = m_session.begin_fetch({m_batch.to_fetch.begin(), m_batch.to_fetch.end()}); !r) {
        if (m_session.broken()) {
          return account_error(r.error());
        }
        mailbox_failed(r.error());
        continue;
      }
      m_phase = Phase::fetching;
      continue;

    case Phase::fetching: {
      net::FetchedMessage message;
      auto more = m_session.next_fetched(message);
      if (!more) {
        if (m_session.broken()) {
          return account_error(more.error());
        }
        // A NO ends this mailbox; what was committed is still acted on.
        Error e = more.error();
        if (auto r = flush_batch(); !r && m_session.broken()) {
          return account_error(r.error());
        }
        mailbox_failed(e);
        continue;
      }
      if (!*more) {
        m_batch.fetch_complete = true;
        m_phase = Phase::finish_batch;
        continue;
      }
      if (m_batch.to_fetch.count(message.uid) == 0 || m_batch.handed.count(message.uid) != 0) {
        continue;
      }
      fill_meta(item, message.uid);
      item.bytes = std::move(message.body);
      m_batch.handed.insert(message.uid);
      m_current_uid = message.uid;
      ++m_handed_in_mailbox;
      return true;
    }

    case Phase::finish_batch:
      if (auto r = flush_batch(); !r) {
        if (m_session.broken() || r.error().kind == ErrorKind::database) {
          return account_error(r.error());
        }
        mailbox_failed(r.error());
        continue;
      }
      m_phase = Phase::start_batch;
      continue;
    }
  }
}

Result<void> ImapSource::committed(const SourceItem& item, MessageStatus status)
{
  if (!item.meta.uid || m_batch.handed.count(*item.meta.uid) == 0) {
    return make_error(ErrorKind::internal, "committed() for a message this source did not hand out");
  }
  m_batch.committed[*item.meta.uid] = status;
  ++m_outcomes.back().fetched;
  return {};
}

Error ImapSource::with_existing_mailboxes(Error error, const std::string& mailbox)
{
  if (m_session.broken()) {
    return error;
  }
  auto names = m_session.list_mailboxes();
  if (!names || names->empty()) {
    return error;
  }
  const auto same = [&mailbox](const std::string& name) {
    const auto upper = [](std::string s) {
      std::transform(s.begin(), s.end(), s.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return s;
    };
    return name == mailbox || (upper(name) == "INBOX" && upper(mailbox) == "INBOX");
  };
  if (std::any_of(names->begin(), names->end(), same)) {
    return error; // it exists: the error is something else
  }
  error.detail += "; mailbox \"" + mailbox + "\" does not exist, the account has: "
                  + nearest_first(std::move(*names), mailbox);
  return error;
}

Result<void> ImapSource::ensure_mailbox(const std::string& name)
{
  if (m_existing.count(name) != 0) {
    return {};
  }
  auto exists = m_session.mailbox_exists(name);
  if (!exists) {
    return exists.error();
  }
  if (!*exists) {
    if (auto r = m_session.create_mailbox(name); !r) {
      return r;
    }
  }
  m_existing.insert(name);
  return {};
}

Result<void> ImapSource::flush_batch()
{
  MailboxOutcome& outcome = m_outcomes.back();
  const std::vector<int64_t> good = keys(m_batch.committed, false);
  const std::vector<int64_t> rejected = keys(m_batch.committed, true);
  const bool invalid_here = m_options.invalid.empty() || m_options.invalid == m_mailbox;

  const bool destructive =
    (!good.empty() && (m_options.after == AfterAction::move || m_options.after == AfterAction::remove))
    || (!rejected.empty() && !invalid_here);
  if (destructive) {
    const int64_t stored = m_batch.committed.rbegin()->first;
    if (auto r = m_cursors.make_durable(m_options.account, m_mailbox, m_uidvalidity, stored); !r) {
      return r;
    }
  }

  if (!good.empty()) {
    switch (m_options.after) {
    case AfterAction::move:
      if (auto r = ensure_mailbox(m_options.archive); !r) {
        return r;
      }
      if (auto r = m_session.move(good, m_options.archive); !r) {
        return r;
      }
      outcome.archived += static_cast<int64_t>(good.size());
      break;
    case AfterAction::seen:
      if (auto r = m_session.add_flag(good, "\\Seen"); !r) {
        return r;
      }
      outcome.marked_seen += static_cast<int64_t>(good.size());
      break;
    case AfterAction::remove:
      if (auto r = m_session.remove(good); !r) {
        return r;
      }
      outcome.deleted += static_cast<int64_t>(good.size());
      break;
    case AfterAction::leave:
      outcome.left += static_cast<int64_t>(good.size());
      break;
    }
    m_batch.acted.insert(good.begin(), good.end());
    for (int64_t uid : good) {
      m_batch.committed.erase(uid);
    }
  }
  if (!rejected.empty()) {
    if (invalid_here) {
      outcome.left += static_cast<int64_t>(rejected.size());
    } else {
      if (auto r = ensure_mailbox(m_options.invalid); !r) {
        return r;
      }
      if (auto r = m_session.move(rejected, m_options.invalid); !r) {
        return r;
      }
      outcome.to_invalid += static_cast<int64_t>(rejected.size());
    }
    m_batch.acted.insert(rejected.begin(), rejected.end());
    for (int64_t uid : rejected) {
      m_batch.committed.erase(uid);
    }
  }

  // The cursor passes every UID of the batch up to the first one not yet done. A UID the
  // completed FETCH did not return was expunged meanwhile and counts as done.
  int64_t last = m_cursor_uid;
  for (const net::UidSize& m : m_batch.listed) {
    const bool done = m_batch.acted.count(m.uid) != 0
                      || (m_batch.fetch_complete && m_batch.handed.count(m.uid) == 0
                          && m_batch.to_fetch.count(m.uid) != 0);
    if (!done) {
      break;
    }
    last = m.uid;
  }
  if (last > m_cursor_uid) {
    if (auto r = m_cursors.save(m_options.account, m_mailbox, {m_uidvalidity, last}); !r) {
      return r;
    }
    m_cursor_uid = last;
  }
  return {};
}

Result<void> ImapSource::close()
{
  if (m_closed) {
    return {};
  }
  m_closed = true;
  Result<void> flushed;
  // A FETCH may still be streaming (the store failed mid-batch): read it to its end, so
  // the connection can take the moves of what was committed, and the LOGOUT.
  if (!m_session.broken() && m_phase == Phase::fetching) {
    net::FetchedMessage discard;
    for (;;) {
      auto more = m_session.next_fetched(discard);
      if (!more || !*more) {
        break;
      }
    }
  }
  if (!m_session.broken() && !m_batch.committed.empty()) {
    flushed = flush_batch();
  }
  m_phase = Phase::done;
  auto logged_out = m_session.logout();
  if (!flushed) {
    return account_error(flushed.error());
  }
  return logged_out;
}

} // namespace dmarc::fetch
