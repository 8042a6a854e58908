/**
 * /metrics in the Prometheus text format, with kube-apiserver's names: apiserver_request_total
 * and apiserver_request_duration_seconds (by verb, group, version, resource, subresource, scope,
 * component, code), apiserver_current_inflight_requests, and the process_* metrics. A request
 * costs one URL split and two map lookups when it ends; the text is made only when scraped.
 */

/** kube-apiserver's buckets for apiserver_request_duration_seconds. */
export const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

export interface RequestLabels {
  readonly verb: string;
  readonly dryRun: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
  readonly scope: string;
}

/** The labels of a request, from its method and URL as kube-apiserver's request info gives them. */
export function requestLabels(method: string, url: string): RequestLabels {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const dryRun = /(^|&)dryRun=All(&|$)/.test(query) ? 'All' : '';
  const parts = path.split('/').filter((p) => p !== '');
  let rest: string[];
  let group = '';
  let version = '';
  if (parts[0] === 'api' && parts.length >= 3) [version, rest] = [parts[1], parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  else return { verb: method, dryRun, group: '', version: '', resource: '', subresource: '', scope: '' };
  let scope = 'cluster';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    scope = 'namespace';
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) scope = 'resource';
  const [resource = '', name, subresource = ''] = rest;
  if (name !== undefined && scope === 'cluster') scope = 'resource';
  if (name !== undefined && scope === 'namespace') scope = 'resource';
  let verb = method;
  if (method === 'GET' && name === undefined) verb = /(^|&)watch=(true|1)(&|$)/.test(query) ? 'WATCH' : 'LIST';
  else if (method === 'DELETE' && name === undefined) verb = 'DELETECOLLECTION';
  else if (method === 'PATCH' && name !== undefined) verb = 'PATCH';
  return { verb, dryRun, group, version, resource, subresource, scope };
}

interface Series {
  readonly labels: string;
  count: number;
}

interface Histogram {
  readonly labels: string;
  readonly buckets: number[];
  sum: number;
  count: number;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class ApiMetrics {
  private readonly totals = new Map<string, Series>();
  private readonly durations = new Map<string, Histogram>();
  private readonly inflight = { mutating: 0, readOnly: 0 };
  private readonly startSeconds = Date.now() / 1000 - process.uptime();

  /** Call when a request arrives; call the result with the status code when it is answered. */
  begin(method: string, url: string): (code: number) => void {
    const started = performance.now();
    const kind = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'readOnly' : 'mutating';
    const labels = requestLabels(method, url);
    const longRunning = labels.verb === 'WATCH' || labels.subresource === 'log' || labels.subresource === 'exec' || labels.subresource === 'attach' || labels.subresource === 'portforward';
    if (!longRunning) this.inflight[kind]++;
    let ended = false;
    return (code) => {
      if (ended) return;
      ended = true;
      if (!longRunning) this.inflight[kind]--;
      this.observe(labels, code, (performance.now() - started) / 1000, longRunning);
    };
  }

  observe(l: RequestLabels, code: number, seconds: number, longRunning = false): void {
    const base = `component="apiserver",dry_run="${l.dryRun}",group="${esc(l.group)}",resource="${esc(l.resource)}",scope="${l.scope}",subresource="${esc(l.subresource)}",verb="${l.verb}",version="${esc(l.version)}"`;
    const key = `code="${code}",${base}`;
    let s = this.totals.get(key);
    if (!s) this.totals.set(key, (s = { labels: key, count: 0 }));
    s.count++;
    if (longRunning) return;
    let h = this.durations.get(base);
    if (!h) this.durations.set(base, (h = { labels: base, buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]) h.buckets[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    out.push('# HELP apiserver_current_inflight_requests [STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.');
    out.push('# TYPE apiserver_current_inflight_requests gauge');
    out.push(`apiserver_current_inflight_requests{request_kind="mutating"} ${this.inflight.mutating}`);
    out.push(`apiserver_current_inflight_requests{request_kind="readOnly"} ${this.inflight.readOnly}`);
    out.push('# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const h of this.durations.values()) {
      DURATION_BUCKETS.forEach((b, i) => out.push(`apiserver_request_duration_seconds_bucket{${h.labels},le="${b}"} ${h.buckets[i]}`));
      out.push(`apiserver_request_duration_seconds_bucket{${h.labels},le="+Inf"} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${h.labels}} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${h.labels}} ${h.count}`);
    }
    out.push('# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.');
    out.push('# TYPE apiserver_request_total counter');
    for (const s of this.totals.values()) out.push(`apiserver_request_total{${s.labels}} ${s.count}`);
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    out.push('# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.', '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
    out.push('# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.', '# TYPE process_start_time_seconds gauge',
      `process_start_time_seconds ${this.startSeconds.toFixed(2)}`);
    return `${out.join('\n')}\n`;
  }
}
