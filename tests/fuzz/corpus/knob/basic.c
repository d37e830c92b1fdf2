#define TILE_M 32 // autocomp-tune: 16 32 64 128
