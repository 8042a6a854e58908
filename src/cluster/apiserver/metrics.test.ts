import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiMetrics, requestLabels } from './metrics.js';

describe('API server metrics', () => {
  it('labels requests as kube-apiserver does', () => {
    assert.deepEqual(requestLabels('GET', '/api/v1/namespaces/default/pods?limit=5'),
      { verb: 'LIST', dryRun: '', group: '', version: 'v1', resource: 'pods', subresource: '', scope: 'namespace' });
    assert.deepEqual(requestLabels('GET', '/apis/apps/v1/deployments?watch=true'),
      { verb: 'WATCH', dryRun: '', group: 'apps', version: 'v1', resource: 'deployments', subresource: '', scope: 'cluster' });
    assert.deepEqual(requestLabels('PUT', '/apis/apps/v1/namespaces/a/deployments/d/scale?dryRun=All'),
      { verb: 'PUT', dryRun: 'All', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'scale', scope: 'resource' });
    assert.equal(requestLabels('GET', '/api/v1/namespaces/default').scope, 'resource');
    assert.equal(requestLabels('DELETE', '/api/v1/namespaces/a/configmaps').verb, 'DELETECOLLECTION');
    assert.equal(requestLabels('GET', '/healthz').verb, 'GET');
  });

  it('counts, times and shows in-flight requests in the Prometheus text format', () => {
    const m = new ApiMetrics();
    const done = m.begin('POST', '/api/v1/namespaces/default/configmaps');
    assert.match(m.render(), /^apiserver_current_inflight_requests\{request_kind="mutating"\} 1$/m);
    done(201);
    done(201);
    m.begin('GET', '/api/v1/namespaces/default/configmaps?watch=1')(200);
    const text = m.render();
    assert.match(text, /^apiserver_current_inflight_requests\{request_kind="mutating"\} 0$/m);
    assert.match(text, /^apiserver_request_total\{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1"\} 1$/m);
    assert.match(text, /^apiserver_request_total\{code="200",.*verb="WATCH".*\} 1$/m);
    assert.match(text, /^apiserver_request_duration_seconds_bucket\{.*verb="POST",version="v1",le="0\.005"\} 1$/m);
    assert.match(text, /^apiserver_request_duration_seconds_count\{.*verb="POST",version="v1"\} 1$/m);
    assert.doesNotMatch(text, /duration_seconds_count\{.*verb="WATCH"/, 'long-running requests are not timed');
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    assert.match(text, /^process_start_time_seconds \d+\.\d+$/m);
  });
});
