#define N 0x10 // autocomp-tune: 8 16 0x20 -1 +4
