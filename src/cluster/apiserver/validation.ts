/** Object names as Kubernetes validates them (apimachinery's validation.IsDNS1123Subdomain/Label). */
import type { StatusCause } from './status.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export type NameRule = 'label' | 'subdomain' | 'path';

/** The causes (empty when valid) for metadata.name. */
export function validateName(name: string, rule: NameRule, field = 'metadata.name'): StatusCause[] {
  const causes: StatusCause[] = [];
  const bad = (msg: string): void => { causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${msg}`, field }); };
  if (rule === 'path') {
    // path.IsValidPathSegmentName (RBAC objects: `system:aggregate-to-view`).
    if (name === '.' || name === '..') bad(`may not be '${name}'`);
    for (const c of ['/', '%']) if (name.includes(c)) bad(`may not contain '${c}'`);
    return causes;
  }
  const max = rule === 'label' ? 63 : 253;
  if (name.length > max) bad(`must be no more than ${max} characters`);
  if (!(rule === 'label' ? LABEL : SUBDOMAIN).test(name)) bad(rule === 'label' ? LABEL_MSG : SUBDOMAIN_MSG);
  return causes;
}

/** Namespaces and services are DNS labels; RBAC objects path segments; most other names are DNS subdomains. */
export function nameRule(resource: string): NameRule {
  if (['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'].includes(resource)) return 'path';
  return resource === 'namespaces' || resource === 'services' ? 'label' : 'subdomain';
}
