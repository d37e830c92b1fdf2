#define A 1 // autocomp-tune: 1 2
#define B x /* autocomp-tune: x y */ // autocomp-tune: z
