#define A 1 // autocomp-tune: 1 2
#define A 2 // autocomp-tune: 1 2
