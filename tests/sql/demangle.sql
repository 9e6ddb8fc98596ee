-- atf_demangle through the real sqlite3 shell, from the fixture's session
-- folder: the fixture's symbols, one name of each scheme, and what comes
-- back unchanged. Expected output: demangle.expected.
.headers on
.mode list
.nullvalue NULL
.print -- the fixture's calls by function: its one C++ name demangled
SELECT atf_demangle(symbol) AS function, count(*) AS calls
  FROM atf_events('pid_4242') WHERE kind = 'function_call'
 GROUP BY 1 ORDER BY 1;
.print -- one of each scheme, then names and values left as they are
SELECT column1 AS name, atf_demangle(column1) AS demangled,
       typeof(atf_demangle(column1)) AS type
  FROM (VALUES ('_ZNSt3mapIiSsSt4lessIiESaISt4pairIKiSsEEEixERS3_'),
               ('_ZN4core3fmt9Formatter3pad17h0123456789abcdefE'),
               ('_RNvXs_NtCs1234_7mycrate3fooNtB4_3BarNtNtCs5678_4core3fmt7Display3fmt'),
               ('$s4main3FooV3baryyF'), ('-[NSObject description]'), ('i'),
               (''), (NULL), (42));
.print -- a BLOB stays a BLOB
SELECT quote(atf_demangle(CAST('_ZN3foo3barEv' AS BLOB))) AS demangled,
       quote(atf_demangle(x'ff00')) AS unchanged;
