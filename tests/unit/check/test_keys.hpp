// Real RSA public keys (openssl genrsa | openssl rsa -pubout -outform DER | base64) and an
// ed25519 key, for DKIM key-size tests.
#pragma once

namespace test_keys {
inline constexpr const char* k_rsa768 = "MHwwDQYJKoZIhvcNAQEBBQADawAwaAJhANMnlgIkAMhJaypRPysGmLC9rkBnkWv7aXsp8aNXI8FbRYtccPjBt6trja2YYyzfeo06S+NCIVfljQ7oC5d/cEmVXHtv+DYudSOG+LGLCZ/GHg8/qAbCSpEn8CzAo63RJQIDAQAB";
inline constexpr const char* k_rsa1024 = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsK+PS0ix070/rd/mza+WI+O04A84hSkeIRKjalzjlTgYR41T0n6rASnqZfjj6r/TjVEz2k5bTxcARva27Kut5OW080NNuLlU6wOHli2G1k73kjiMToiC/0Be2GFgVKaRLf5aXnYP8LYc19TwJtLnjfuFjipJ2FxPMt9efZ2OakwIDAQAB";
inline constexpr const char* k_rsa2048 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsgLLT7blLNs+J0pgAYk/N9ZGtHA8SDo0hQCbRwOiISG5RPKhB3nNQ7z0EoVqcK9roQUHrNnhh9BHi8A2XRtKctpzxSLAIWu2xTxGptvq+gpGq8FCX5HkNO1r7Jpbw/3E0IHAtMcgOJqy81ifUb5Kae0UhrvHK4r2k4RYciremn9RDvysNzJFIRn02MGeWCZM4Vqf6kc0A6WPkShxsE2o8fZQW5RPsw/a95k1hOGbQVESzjhynuDfrT3EFR45e6GUX6SlFT7cgYY212o1N93Ni9y61m/Jm+yOjZPNRAwkm2K8XEMgOwzu/zQkM1nrTsE903R7dQiKE5hc7VSOY9KLnQIDAQAB";
inline constexpr const char* k_rsa1024_pkcs1 = "MIGJAoGBAOB+t/2rpXb4hxYdaURUo8ruEdrw6QjH61pWu1fXY/ICqhgjf3B9nWrSz7AvrhmIEipF5sJA6YSBjaiRC/Lw0FYsNaCiOhtzHgQ13N4X/pz/L+1R+RwLCTEtRlpVMy8edHIXclk5lCOj9I0cIcX6wO1vSEpmEuDPTaeqIUft5LwDAgMBAAE=";
inline constexpr const char* k_ed25519 = "iCYAH6FdCmCec07kyczNMaw/TjjTCPlnt10r9l0VPDA=";
} // namespace test_keys
