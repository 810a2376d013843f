/* host-check's report as JSON, for `snpvm host-check --json`. */
#include <jansson.h>

#include "hostcheck/hostcheck.h"

json_t *hostcheck_report_json(const struct hostcheck_report *r)
{
	json_t *o = NULL, *arr = json_array();
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < r->n; i++) {
		const struct hostcheck_result *c = &r->checks[i];
		json_t *e = json_pack("{s:s,s:s,s:s,s:o}", "name", c->name, "status",
				      hostcheck_status_name(c->status), "detail", c->detail, "fix",
				      c->status == HOSTCHECK_FAIL ? json_string(c->fix) : json_null());

		if (!e || json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	o = json_pack("{s:b,s:o}", "ready", hostcheck_ready(r), "checks", arr);
	return o;
}
