/* daemon/api_routes.c - the admin API route table (docs/admin-api.md). A
 * path ending in '/' is a prefix whose remainder (one segment) is passed to
 * the handler as `tail`. */
#include "daemon/admin.h"
#include "daemon/api.h"

#include <event2/http.h>

const struct admin_route admin_routes[] = {
    {EVHTTP_REQ_GET, "/api/v1/health", api_health_get},
    {EVHTTP_REQ_GET, "/api/v1/node", api_node_get},
    {EVHTTP_REQ_POST, "/api/v1/node/republish", api_node_republish},
    {EVHTTP_REQ_GET, "/api/v1/links", api_links_get},
    {EVHTTP_REQ_GET, "/api/v1/peers", api_peers_get},
    {EVHTTP_REQ_POST, "/api/v1/peers", api_peers_post},
    {EVHTTP_REQ_DELETE, "/api/v1/peers/", api_peers_delete},
    {EVHTTP_REQ_POST, "/api/v1/diag/ping", api_diag_ping},
    {EVHTTP_REQ_POST, "/api/v1/diag/bench", api_diag_bench},
    {EVHTTP_REQ_GET, "/api/v1/registry", api_registry_get},
    {EVHTTP_REQ_POST, "/api/v1/registry", api_registry_post},
    {EVHTTP_REQ_GET, "/api/v1/dht", api_dht_get},
    {EVHTTP_REQ_GET, "/api/v1/resolve/", api_resolve_get},
    {EVHTTP_REQ_GET, "/api/v1/services", api_services_get},
    {EVHTTP_REQ_POST, "/api/v1/services", api_services_post},
    {EVHTTP_REQ_DELETE, "/api/v1/services/", api_services_delete},
    {EVHTTP_REQ_GET, "/api/v1/forwards", api_forwards_get},
    {EVHTTP_REQ_POST, "/api/v1/forwards", api_forwards_post},
    {EVHTTP_REQ_DELETE, "/api/v1/forwards/", api_forwards_delete},
    {EVHTTP_REQ_GET, "/api/v1/groups", api_groups_get},
    {EVHTTP_REQ_POST, "/api/v1/groups", api_groups_post},
    {EVHTTP_REQ_DELETE, "/api/v1/groups/", api_groups_delete},
    {EVHTTP_REQ_GET, "/metrics", api_metrics_get},
    {0, NULL, NULL},
};
