#define U 3 // autocomp-tune: 1 2 4
#define V 2 // autocomp-tune: 1,2
