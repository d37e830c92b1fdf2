/* set autocomp-tune: markers on #defines */
const char *s = "autocomp-tune: 1 2";
