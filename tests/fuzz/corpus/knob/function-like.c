#define F(x) x // autocomp-tune: 1 2
