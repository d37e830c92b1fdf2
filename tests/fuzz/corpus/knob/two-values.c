#define A 1 2 // autocomp-tune: 1 2
