# skip-tool: the command-line SKIP client; skip-testbed: two KPs on one machine.
bin_PROGRAMS += skip-tool
skip_tool_SOURCES = src/tools/skip-tool.c
skip_tool_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(INIH_CFLAGS)
skip_tool_LDADD = libskip.la $(OPENSSL_LIBS) $(INIH_LIBS)
