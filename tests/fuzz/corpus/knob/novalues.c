#define A 1 // autocomp-tune:
