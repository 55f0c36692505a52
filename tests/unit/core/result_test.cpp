#include "core/result.hpp"

#include <catch2/catch.hpp>

using namespace dmarc;

namespace {
Result<int> half(int n)
{
  if (n % 2 != 0) {
    return make_error(ErrorKind::invalid_report, "odd: " + std::to_string(n));
  }
  return n / 2;
}
} // namespace

TEST_CASE("Result carries a value or an error")
{
  auto good = half(8);
  REQUIRE(good.ok());
  CHECK(*good == 4);

  auto bad = half(3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::invalid_report);
  CHECK(bad.error().to_string() == "invalid-report: odd: 3");
}

TEST_CASE("Error kinds have the names DESIGN.md gives the rejection reasons")
{
  CHECK(to_string(ErrorKind::empty) == "empty");
  CHECK(to_string(ErrorKind::not_a_report) == "not-a-report");
  CHECK(to_string(ErrorKind::corrupt_archive) == "corrupt-archive");
  CHECK(to_string(ErrorKind::too_large) == "too-large");
  CHECK(to_string(ErrorKind::invalid_report) == "invalid-report");
}
