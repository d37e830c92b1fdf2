#undef A // autocomp-tune: 1 2
