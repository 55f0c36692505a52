# Compiles the files of sql/ into the binary: sql/NNNN_*.sql are the migrations (applied in
# order, tracked by PRAGMA user_version), sql/queries/*.sql the named queries.
# The generated source defines dmarc::store::embedded_migrations() and embedded_query().
function(dmarc_embed_sql target)
  file(GLOB migrations CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sql/[0-9][0-9][0-9][0-9]_*.sql)
  file(GLOB queries CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sql/queries/*.sql)
  list(SORT migrations)
  list(SORT queries)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_sql.cpp)
  # Lists travel to the script with '|' separators (';' would split the command line).
  string(REPLACE ";" "|" migration_list "${migrations}")
  string(REPLACE ";" "|" query_list "${queries}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DMIGRATIONS=${migration_list}" "-DQUERIES=${query_list}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql_gen.cmake
    DEPENDS ${migrations} ${queries} ${PROJECT_SOURCE_DIR}/cmake/embed_sql_gen.cmake
    COMMENT "Embedding sql/ into the binary"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
