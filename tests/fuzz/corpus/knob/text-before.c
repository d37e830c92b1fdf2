#define A 1 // see autocomp-tune: 1 2
