# dmarc_bench_gelf: GELF messages/s end to end over UDP, TCP and HTTP (bench/gelf_bench.cpp).
# The receivers are the tests' (tests/support/gelf_receivers), zlib is theirs.
add_executable(dmarc_bench_gelf gelf_bench.cpp ${PROJECT_SOURCE_DIR}/tests/support/gelf_receivers.cpp)
target_include_directories(dmarc_bench_gelf PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(dmarc_bench_gelf PRIVATE dmarc_pipeline dmarc_store dmarc_output
  dmarc_decompress dmarc_formats ZLIB::ZLIB Threads::Threads)
