# names.sh - sourced by the shell tests: the SQL names a client registers.
#
#   expected_names FILE   the lines of tests/expected_sql_names.txt, sorted,
#                         without comments and blank lines
#   NAMES_SQL             the query every client runs before and after
#                         loading the extension: one "function NAME NARG" or
#                         "module NAME" per row
NAMES_SQL="SELECT 'function ' || name || ' ' || narg AS n FROM pragma_function_list
UNION SELECT 'module ' || name FROM pragma_module_list ORDER BY n"

expected_names() {
  sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^$' | LC_ALL=C sort
}
