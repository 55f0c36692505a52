#include "support/gelf_check.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <regex>

namespace dmarc::test {

std::vector<std::string> gelf_problems(const std::string& text)
{
  std::vector<std::string> problems;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return {std::string("not JSON: ") + e.what()};
  }
  if (!j.is_object()) {
    return {"not a JSON object"};
  }
  static const std::regex k_name(R"(^_[A-Za-z0-9_.\-]+$)");
  if (!j.contains("version") || j["version"] != "1.1") {
    problems.push_back("version is not \"1.1\"");
  }
  for (const char* key : {"host", "short_message"}) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
      problems.push_back(std::string(key) + " missing or empty");
    }
  }
  if (!j.contains("timestamp") || !j["timestamp"].is_number()) {
    problems.push_back("timestamp missing or not a number");
  }
  if (j.contains("level")
      && (!j["level"].is_number_integer() || j["level"].get<int>() < 0 || j["level"].get<int>() > 7)) {
    problems.push_back("level not an integer 0-7");
  }
  for (const auto& [key, value] : j.items()) {
    const bool standard = key == "version" || key == "host" || key == "short_message"
                          || key == "full_message" || key == "timestamp" || key == "level";
    if (!standard && !std::regex_match(key, k_name)) {
      problems.push_back("field name '" + key + "' does not match ^_[A-Za-z0-9_.-]+$");
    }
    if (key == "_id") {
      problems.push_back("field _id is forbidden");
    }
    if (!value.is_string() && !value.is_number()) {
      problems.push_back("field '" + key + "' is " + value.type_name() + ", not string or number");
    } else if (value.is_string() && value.get<std::string>().empty()) {
      problems.push_back("field '" + key + "' is an empty string");
    }
  }
  return problems;
}

std::map<std::string, GelfValue> gelf_fields(const std::string& text)
{
  std::map<std::string, GelfValue> out;
  const nlohmann::json j = nlohmann::json::parse(text);
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_number()) {
      out[key] = value.get<double>();
    }
  }
  return out;
}

std::string gelf_text(const std::map<std::string, GelfValue>& fields, const std::string& name)
{
  auto it = fields.find(name);
  if (it == fields.end()) {
    return "<absent>";
  }
  if (const auto* s = std::get_if<std::string>(&it->second)) {
    return *s;
  }
  const double d = std::get<double>(it->second);
  if (std::floor(d) == d && std::fabs(d) < 1e18) {
    return std::to_string(static_cast<long long>(d));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

} // namespace dmarc::test
