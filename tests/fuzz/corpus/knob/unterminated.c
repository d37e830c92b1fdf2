#define A 1 /* autocomp-tune: 1 2
