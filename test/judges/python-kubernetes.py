# A judge of the API server: Debian's python3-kubernetes as an application uses it, against the
# cluster of the kubeconfig in $KUBECONFIG. Run with /usr/bin/python3 by
# test/apiserver-clients.test.ts. Prints one "ok <step>" line per step; exits 1 on the first
# that fails.
import os
import threading

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(os.environ['KUBECONFIG'])
core = client.CoreV1Api()
apps = client.AppsV1Api()
ns = os.environ.get('JUDGE_NS', 'judge-python')


def ok(step):
    print('ok ' + step, flush=True)


def expect_status(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ApiException as e:
        assert e.status == code, '%s: expected %d, got %d %s' % (fn.__name__, code, e.status, e.body)
        return e
    raise AssertionError('%s: expected %d, got success' % (fn.__name__, code))


core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
ok('create namespace')

created = core.create_namespaced_config_map(ns, client.V1ConfigMap(
    metadata=client.V1ObjectMeta(name='cm1', labels={'app': 'judge'}), data={'k': 'v1'}))
assert created.metadata.name == 'cm1' and len(created.metadata.uid) == 36
assert created.metadata.creation_timestamp is not None
ok('create')
e = expect_status(409, core.create_namespaced_config_map, ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name='cm1')))
assert '"reason":"AlreadyExists"' in e.body.replace(' ', ''), e.body
ok('create of an existing name is a 409 AlreadyExists')

read = core.read_namespaced_config_map('cm1', ns)
assert read.data == {'k': 'v1'}
ok('read')
read.data['k'] = 'v2'
replaced = core.replace_namespaced_config_map('cm1', ns, read)
assert replaced.data['k'] == 'v2'
expect_status(409, core.replace_namespaced_config_map, 'cm1', ns, read)
ok('replace, and a stale resourceVersion is a 409')
patched = core.patch_namespaced_config_map('cm1', ns, {'data': {'k': 'v3'}})
assert patched.data['k'] == 'v3'
ok('patch')

listed = core.list_namespaced_config_map(ns, label_selector='app=judge')
assert [i.metadata.name for i in listed.items] == ['cm1']
assert core.list_namespaced_config_map(ns, label_selector='app=other').items == []
ok('list with label selectors')
page = core.list_namespaced_config_map(ns, limit=1)
assert len(page.items) == 1
ok('list with a limit')

# A watch from the list's resourceVersion sees the later writes in order.
rv = core.list_namespaced_config_map(ns).metadata.resource_version
events = []
w = watch.Watch()


def watcher():
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=30):
        events.append('%s %s' % (ev['type'], ev['object'].metadata.name))
        if ev['type'] == 'DELETED':
            w.stop()


t = threading.Thread(target=watcher)
t.start()
core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name='cm2'), data={'a': 'b'}))
core.patch_namespaced_config_map('cm2', ns, {'data': {'a': 'c'}})
core.delete_namespaced_config_map('cm2', ns)
t.join(60)
assert not t.is_alive(), 'the watch did not end'
assert events == ['ADDED cm2', 'MODIFIED cm2', 'DELETED cm2'], events
ok('watch')

expect_status(404, core.read_namespaced_config_map, 'cm2', ns)
ok('read after delete is a 404')

dep = apps.create_namespaced_deployment(ns, client.V1Deployment(
    metadata=client.V1ObjectMeta(name='web'),
    spec=client.V1DeploymentSpec(
        replicas=1, selector=client.V1LabelSelector(match_labels={'app': 'web'}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={'app': 'web'}),
            spec=client.V1PodSpec(containers=[client.V1Container(name='web', image='busybox')])))))
assert dep.metadata.generation == 1
apps.patch_namespaced_deployment_scale('web', ns, {'spec': {'replicas': 4}})
assert apps.read_namespaced_deployment('web', ns).spec.replicas == 4
ok('deployment and its scale')

e = expect_status(422, core.create_namespaced_config_map, ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name='Bad_Name')))
assert 'Invalid' in e.body, e.body
ok('an invalid name is a 422 Invalid')

core.delete_namespace(ns)
ok('delete namespace')
