# What the build hands to users: the extension's exported symbols, the
# reader as a shared library too, and `cmake --install` of the extension,
# the reader (static and shared), its public headers and atf-reader.pc.
#
#   cmake --install build --prefix /opt/atf
#   pkg-config --cflags --libs atf-reader     (PKG_CONFIG_PATH=/opt/atf/lib/pkgconfig)
#   pkg-config --variable=extension atf-reader   -> .../atf-sqlite/atf (for .load)
#
# Included from the top-level CMakeLists.txt once atf_reader and atf exist.
# The shared reader is built from atf_reader's own source list, so a file
# added there is in both.

include(GNUInstallDirs)

# ---- exported symbols ----------------------------------------------------
# atf.so exports sqlite3_atf_init alone (ext/atf.map); the reader library is
# compiled with default visibility for its own users, so hiding its symbols
# inside the extension takes a version script, not -fvisibility.
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang" AND NOT APPLE)
  target_link_options(atf PRIVATE
    "LINKER:--version-script=${CMAKE_SOURCE_DIR}/ext/atf.map")
  set_property(TARGET atf APPEND PROPERTY LINK_DEPENDS
               ${CMAKE_SOURCE_DIR}/ext/atf.map)
endif()

# ---- the reader as a shared library --------------------------------------
get_target_property(ATF_READER_SOURCES atf_reader SOURCES)
add_library(atf_reader_shared SHARED ${ATF_READER_SOURCES})
set_target_properties(atf_reader_shared PROPERTIES
  OUTPUT_NAME atf_reader
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(atf_reader_shared PUBLIC ${CMAKE_SOURCE_DIR}/reader)
target_compile_options(atf_reader_shared PRIVATE ${ATF_WARNINGS})
target_link_libraries(atf_reader_shared PUBLIC PkgConfig::CJSON m)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang" AND NOT APPLE)
  target_link_options(atf_reader_shared PRIVATE
    "LINKER:--version-script=${CMAKE_SOURCE_DIR}/reader/atf_reader.map")
  set_property(TARGET atf_reader_shared APPEND PROPERTY LINK_DEPENDS
               ${CMAKE_SOURCE_DIR}/reader/atf_reader.map)
endif()

# ---- install -------------------------------------------------------------
set(ATF_EXTENSION_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/atf-sqlite)
install(TARGETS atf LIBRARY DESTINATION ${ATF_EXTENSION_INSTALL_DIR})
install(TARGETS atf_reader atf_reader_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Every public header, reader/atf_*.h (internal.h is not one).
install(DIRECTORY ${CMAKE_SOURCE_DIR}/reader/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/atf-reader
        FILES_MATCHING PATTERN "atf_*.h")

# atf-reader.pc finds the prefix from its own place (${pcfiledir}), so the
# prefix given at install time (--prefix, DESTDIR) needs no reconfigure.
file(RELATIVE_PATH ATF_PC_TO_PREFIX
     "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" ATF_PC_TO_PREFIX "${ATF_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/atf-reader.pc.in
               ${CMAKE_BINARY_DIR}/atf-reader.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/atf-reader.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
