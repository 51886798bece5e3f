#include "stage.h"

int stage_init_defaults(const struct stage_desc *d, void *st, float fs)
{
	int err = d->init(st, fs);
	if (err)
		return err;
	for (int id = d->first; id <= (int)d->last; id++)
		d->set(st, (unsigned)(id - (int)d->first), param_table[id].def);
	d->reset(st);
	return 0;
}
