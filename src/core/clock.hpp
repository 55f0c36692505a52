// Clock: the only way code asks for "now", so tests and --as-of can fix it.
#pragma once

#include <cstdint>

namespace dmarc {

class Clock
{
public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual int64_t now() const = 0;
};

class SystemClock final : public Clock
{
public:
  int64_t now() const override;
};

class FixedClock final : public Clock
{
public:
  explicit FixedClock(int64_t now) : m_now(now) {}
  int64_t now() const override { return m_now; }
  void set(int64_t now) { m_now = now; }

private:
  int64_t m_now;
};

} // namespace dmarc
