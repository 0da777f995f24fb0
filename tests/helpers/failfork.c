/* Placeholder: the fork-failure shim is being written. */
int failfork_placeholder(void);
int failfork_placeholder(void) { return 0; }
