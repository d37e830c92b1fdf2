#define TILE 1 // autocomp-tune: 1 2 3 4 5 6 7 8
#define UNROLL 1 // autocomp-tune: 1 2 4 8
int f(void) { return TILE * UNROLL; }
