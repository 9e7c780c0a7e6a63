#!/usr/bin/env bash
# Install AlarmVault as three systemd services on a NAS or small Linux server.
#
#   scripts/install.sh                      install or update (idempotent), enable the units
#   scripts/install.sh --uninstall          remove program and units; keep config and data
#   scripts/install.sh --uninstall --purge  also remove config, data and the system user
#
# Options:
#   --root DIR        install under DIR instead of / (no useradd, chown or systemctl on this
#                     host: those steps are printed as "would run: ..." instead)
#   --venv-from PATH  use the existing virtual environment PATH (linked, not copied)
#   --no-venv         do not create or update /opt/alarmvault/venv
#   --source DIR      the AlarmVault source tree (default: the folder above this script)
#
# Layout: /opt/alarmvault/venv (program), /etc/alarmvault (alarmvault.toml, camera_models.toml,
# tls/ FTPS certificate and key, ssh/ SFTP host key), /var/lib/alarmvault (data),
# /etc/systemd/system/alarmvault*.{service,target}. Existing config and keys are never replaced.
set -euo pipefail

USER_NAME=alarmvault
PREFIX=/opt/alarmvault
ETC=/etc/alarmvault
DATA=/var/lib/alarmvault
UNIT_DIR=/etc/systemd/system
UNITS=(alarmvault-pipeline.service alarmvault-ingestd.service alarmvault-webui.service alarmvault.target)

root=""
venv_from=""
make_venv=1
action=install
purge=0
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$(realpath -m "${2:?--root needs a folder}")"; shift 2 ;;
    --venv-from) venv_from="$(realpath "${2:?--venv-from needs a path}")"; shift 2 ;;
    --no-venv) make_venv=0; shift ;;
    --source) source_dir="$(realpath "${2:?--source needs a folder}")"; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$purge" = 1 ] && [ "$action" != uninstall ]; then
  echo "install.sh: --purge goes with --uninstall" >&2; exit 2
fi
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (or use --root DIR to install into a folder)" >&2; exit 1
fi

say() { echo "install.sh: $*"; }

# Steps that change the host itself (accounts, ownership, systemd): done for real without
# --root; with --root only printed, so a test can run the script into a temporary folder.
host() {
  if [ -n "$root" ]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

make_dir() { # mode owner path
  install -d -m "$1" "$root$3"
  chmod "$1" "$root$3"
  host chown "$2" "$3"
}

ensure_user() {
  if [ -z "$root" ] && getent passwd "$USER_NAME" >/dev/null; then
    return
  fi
  host useradd --system --user-group --home-dir "$DATA" --no-create-home \
    --shell /usr/sbin/nologin --comment "AlarmVault" "$USER_NAME"
}

install_venv() {
  local venv="$root$PREFIX/venv"
  if [ -n "$venv_from" ]; then
    if [ "$(readlink "$venv" 2>/dev/null)" != "$venv_from" ]; then
      rm -rf "$venv"
      ln -s "$venv_from" "$venv"
    fi
    return
  fi
  [ "$make_venv" = 1 ] || return 0
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
  fi
  # The same versions as the developers' and CI's venvs (constraints.txt), not whatever the
  # index offers today.
  "$venv/bin/python" -m pip install -q --upgrade -c "$source_dir/constraints.txt" "$source_dir"
  # The plate reader's model, without the package's dependencies (see the Makefile).
  "$venv/bin/python" -m pip install -q --no-deps 'rapidocr-onnxruntime==1.4.4'
}

# The example config with the installed paths filled in. A line editor rather than a TOML
# writer, so the example's comments (the admin's documentation) stay in the file.
render_config() { # example > stdout
  python3 - "$1" "$DATA" "$ETC" <<'PY'
import re
import sys

example, data, etc = sys.argv[1:4]
overrides = [
    ("storage", "data_dir", f'"{data}"'),
    # Cameras must reach the server; 22 is usually the host's own sshd, hence 2222 for SFTP.
    ("ftp", "listen", '"0.0.0.0:21"'),
    ("sftp", "listen", '"0.0.0.0:2222"'),
    ("ftp", "tls_cert", f'"{etc}/tls/ftps.crt"'),
    ("ftp", "tls_key", f'"{etc}/tls/ftps.key"'),
    ("sftp", "host_key", f'"{etc}/ssh/ssh_host_rsa_key"'),
]
lines = open(example, encoding="utf-8").read().splitlines()
header = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$")


def section_span(name):
    start = next((i for i, line in enumerate(lines) if (m := header.match(line)) and m[1] == name), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if header.match(lines[i])), len(lines))
    return start, end


for section, key, value in overrides:
    setting = f"{key} = {value}"
    span = section_span(section)
    if span is None:
        lines += ["", f"[{section}]", setting]
        continue
    start, end = span
    wanted = re.compile(rf"^\s*#?\s*{re.escape(key)}\s*=")
    hit = next((i for i in range(start + 1, end) if wanted.match(lines[i])), None)
    if hit is not None:
        lines[hit] = setting
    else:
        last = max(i for i in range(start, end) if lines[i].strip())
        lines.insert(last + 1, setting)
print("# Written by scripts/install.sh from config/alarmvault.example.toml; edit freely,")
print("# install.sh never overwrites it. Check with: alarmvault check-config")
print("\n".join(lines))
PY
}

install_config() {
  local config="$root$ETC/alarmvault.toml"
  if [ ! -e "$config" ]; then
    render_config "$source_dir/config/alarmvault.example.toml" > "$config.tmp"
    chmod 0640 "$config.tmp"
    mv "$config.tmp" "$config"
    say "wrote $ETC/alarmvault.toml"
  fi
  host chown "root:$USER_NAME" "$ETC/alarmvault.toml"
  install -m 0644 "$source_dir/config/camera_models.toml" "$root$ETC/camera_models.toml"
}

install_keys() {
  local cert="$root$ETC/tls/ftps.crt" key="$root$ETC/tls/ftps.key"
  if [ ! -e "$cert" ] || [ ! -e "$key" ]; then
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -subj "/CN=$(hostname -f 2>/dev/null || hostname)" \
      -keyout "$key" -out "$cert" 2>/dev/null)
    say "made a self-signed FTPS certificate $ETC/tls/ftps.crt"
  fi
  # RSA, not Ed25519: [sftp] host_key takes one key, and older camera firmware knows only RSA.
  local host_key="$root$ETC/ssh/ssh_host_rsa_key"
  if [ ! -e "$host_key" ]; then
    ssh-keygen -q -t rsa -b 3072 -m PEM -N "" -C "alarmvault" -f "$host_key"
    say "made the SFTP host key $ETC/ssh/ssh_host_rsa_key"
  fi
  chmod 0644 "$cert" "$host_key.pub"
  chmod 0640 "$key" "$host_key"
  host chown "root:$USER_NAME" "$ETC/tls/ftps.key" "$ETC/ssh/ssh_host_rsa_key"
}

install_units() {
  install -d -m 0755 "$root$UNIT_DIR"
  for unit in "${UNITS[@]}"; do
    install -m 0644 "$source_dir/systemd/$unit" "$root$UNIT_DIR/$unit"
  done
  host systemctl daemon-reload
  host systemctl enable "${UNITS[@]}"
}

check_config() {
  local alarmvault="$root$PREFIX/venv/bin/alarmvault"
  if [ -x "$alarmvault" ]; then
    # --offline: the catalog (a PostgreSQL server, the data folder) may not be set up yet.
    "$alarmvault" --config "$root$ETC/alarmvault.toml" check-config --offline
  fi
}

do_install() {
  ensure_user
  make_dir 0755 root:root "$PREFIX"
  make_dir 0750 "root:$USER_NAME" "$ETC"
  make_dir 0750 "root:$USER_NAME" "$ETC/tls"
  make_dir 0750 "root:$USER_NAME" "$ETC/ssh"
  make_dir 0750 "$USER_NAME:$USER_NAME" "$DATA"
  install_venv
  install_config
  install_keys
  install_units
  check_config
  say "installed; start with: systemctl start alarmvault.target"
}

do_uninstall() {
  local present=()
  for unit in "${UNITS[@]}"; do
    [ -e "$root$UNIT_DIR/$unit" ] && present+=("$unit")
  done
  if [ ${#present[@]} -gt 0 ]; then
    host systemctl disable --now "${present[@]}"
    for unit in "${present[@]}"; do rm -f "$root$UNIT_DIR/$unit"; done
    host systemctl daemon-reload
  fi
  rm -rf "$root$PREFIX"
  if [ "$purge" = 1 ]; then
    rm -rf "$root$ETC" "$root$DATA"
    if [ -n "$root" ] || getent passwd "$USER_NAME" >/dev/null; then
      host userdel "$USER_NAME"
    fi
    say "removed program, units, config, data and the user $USER_NAME"
  else
    say "removed program and units; kept $ETC and $DATA (--purge removes them)"
  fi
}

if [ "$action" = install ]; then do_install; else do_uninstall; fi
