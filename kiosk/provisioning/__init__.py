"""Provisioning: a kiosk flashed from a secret-free image joins its backend.

A vendor or technician puts a provisioning file (`apm-provision.toml`) on the boot
partition or a USB stick: the village code, the backend's URL, a one-time enrolment token
and the SHA-256 fingerprint of the backend's CA certificate. `apm-kiosk provision` (run
by the first-boot service, or by hand) then:

1. reads and checks the file (`kiosk.provisioning.file`);
2. fetches the backend's CA certificate and compares its fingerprint with the file's,
   refusing on a mismatch before the token goes anywhere (as kubeadm's discovery pins
   its cluster CA: fetching before trusting is safe because the fingerprint is checked);
3. checks that the kiosk's config will be valid once provisioned (so no token is spent on
   a kiosk that could not start);
4. enrols over TLS verified by that CA, trading the token for the kiosk's device token,
   and checks the village the backend enrolled it in (`kiosk.provisioning.backend`);
5. writes the device token (0600), the CA and the config, all or nothing
   (`kiosk.provisioning.writing`, `kiosk.provisioning.config_edit`);
6. removes the used token from the provisioning file.

Plain Python: no Qt. The token is never logged (at most its last four characters).
"""

FILE_NAME = "apm-provision.toml"
