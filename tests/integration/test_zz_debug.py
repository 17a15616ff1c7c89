import time, json
from test_admission_webhook import *  # noqa
import pytest

@pytest.mark.cluster
def test_debug(cluster, enforced, operator, tmp_path):
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "worker:1.0"))))
    freeze(cluster, enforced, "PartialFreeze", "21.4")
    time.sleep(3)
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))
    r = kubectl(cluster, "apply", "--dry-run=server", "-f", str(v2))
    print("RC", r.returncode, "OUT", r.stdout, "ERR", r.stderr)
    print(cluster.kubectl("get", "validatingwebhookconfiguration", "-o", "yaml").stdout[:3000])
    print(cluster.kubectl("get", "ebp", "-n", enforced, "-o", "yaml").stdout)
