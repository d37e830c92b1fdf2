#  define ORDER IKJ   /* autocomp-tune: IJK, IKJ, JIK */
int x = ORDER;
