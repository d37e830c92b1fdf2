/* Naive 2-D convolution (cross-correlation, stride 1, no padding) of one
 * image in CHW layout: in is C_in x H x W, w is C_out x C_in x KH x KW,
 * out is C_out x (H - KH + 1) x (W - KW + 1):
 * out[co][y][x] = sum over ci, ky, kx of in[ci][y + ky][x + kx] * w[co][ci][ky][kx]. */
void conv2d(int C_in, int H, int W, int C_out, int KH, int KW,
            const float *in, const float *w, float *out)
{
	int OH = H - KH + 1, OW = W - KW + 1;

	for (int co = 0; co < C_out; co++) {
		for (int y = 0; y < OH; y++) {
			for (int x = 0; x < OW; x++) {
				float acc = 0.0f;

				for (int ci = 0; ci < C_in; ci++)
					for (int ky = 0; ky < KH; ky++)
						for (int kx = 0; kx < KW; kx++)
							acc += in[(ci * H + y + ky) * W + x + kx] *
							       w[((co * C_in + ci) * KH + ky) * KW + kx];
				out[(co * OH + y) * OW + x] = acc;
			}
		}
	}
}
