# dmarc_bench_summary_advise: `summary` and `advise` over 10,000,000 record rows
# (bench/summary_advise.cpp). It writes the report tables through SQLite directly and fills
# the rollups with the backfill of sql/0003_rollups.sql.
add_executable(dmarc_bench_summary_advise ${CMAKE_CURRENT_LIST_DIR}/summary_advise.cpp)
target_compile_definitions(dmarc_bench_summary_advise PRIVATE DMARC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(dmarc_bench_summary_advise PRIVATE SQLite::SQLite3)
