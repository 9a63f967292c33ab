#!/usr/bin/env bash
# End to end: a third-party plugin built out of tree against the INSTALLED SDK.
#   custom_plugin.sh SOURCE_ROOT BUILD_ROOT
# 1. installs the project from BUILD_ROOT into a temporary DESTDIR; its lighter-sdk.pc is
#    relocatable, so PKG_CONFIG_PATH alone makes it usable,
# 2. builds examples/custom_plugin (copied to a temporary folder) with pkg-config lighter-sdk,
# 3. runs the installed lighter-host in the example's project folder: `plugins` lists the
#    project components, `fit run.toml` succeeds, writes its run directory and the training loss
#    falls from the first epoch to the last,
# 4. compiles the usage snippet of the installed lighter/plugin.hpp as it is, loads it and trains
#    with its component.
set -euo pipefail
umask 022  # the host refuses world-writable plugin files

if (($# != 2)); then
  echo "usage: $0 SOURCE_ROOT BUILD_ROOT" >&2
  exit 2
fi
SRC="$(cd "$1" && pwd)"
BUILD="$(cd "$2" && pwd)"
MODEL="project.Regressor"
DATA="project.LineData"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/lighter-e2e-plugin.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/dest"

step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
# Runs a command with its output in a log file; shows the log when it fails.
logged() {
  local log="$1"
  shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
}

step "install the project into a temporary DESTDIR"
logged "$WORK/install.log" meson install -C "$BUILD" --destdir "$DEST" --no-rebuild --quiet ||
  fail "meson install -C $BUILD --destdir $DEST failed"
HOST="$(find "$DEST" -path '*/bin/lighter-host' -type f | head -n 1)"
[[ -n "$HOST" && -x "$HOST" ]] || fail "no installed bin/lighter-host under $DEST"
ok "installed host: ${HOST#"$DEST"}"
PC="$(find "$DEST" -name lighter-sdk.pc -type f | head -n 1)"
[[ -n "$PC" ]] || fail "no installed lighter-sdk.pc under $DEST"
ok "installed pkg-config file: ${PC#"$DEST"}"
grep -q '^prefix=${pcfiledir}/' "$PC" || { cat "$PC" >&2; fail "lighter-sdk.pc is not relocatable (prefix is not \${pcfiledir}/...)"; }
PKG_CONFIG_PATH="$(dirname "$PC")"
export PKG_CONFIG_PATH
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
pkg-config --exists lighter-sdk || fail "pkg-config cannot read $PC"
SDK_INCLUDE="$(pkg-config --variable=includedir lighter-sdk)"
[[ -f "$SDK_INCLUDE/lighter/plugin.hpp" ]] || fail "pkg-config's includedir $SDK_INCLUDE has no lighter/plugin.hpp"
[[ "$(cd "$SDK_INCLUDE" && pwd -P)" == "$(cd "$DEST" && pwd -P)"/* ]] || fail "pkg-config's includedir $SDK_INCLUDE is outside $DEST"
ok "pkg-config --cflags --libs lighter-sdk: $(pkg-config --cflags --libs lighter-sdk)"

step "build examples/custom_plugin out of tree"
cp -r "$SRC/examples/custom_plugin" "$WORK/custom_plugin"
rm -rf "$WORK/custom_plugin/build" "$WORK/custom_plugin/project/lighter_logs"
cd "$WORK/custom_plugin"
logged "$WORK/setup.log" meson setup build || fail "meson setup of examples/custom_plugin failed"
logged "$WORK/ninja.log" ninja -C build || fail "building examples/custom_plugin failed"
PLUGINS=(build/*.so)
[[ -f "${PLUGINS[0]}" ]] || fail "the build produced no .so in build/"
ok "built ${PLUGINS[*]}"

cd "$WORK/custom_plugin/project"
unset LIGHTER_PLUGIN_PATH LIGHTER_SEED PL_GLOBAL_SEED

step "lighter-host plugins (in the project folder)"
logged "$WORK/plugins.log" "$HOST" plugins || fail "lighter-host plugins failed"
for name in "$MODEL" "$DATA"; do
  grep -qF "$name" "$WORK/plugins.log" || { cat "$WORK/plugins.log" >&2; fail "lighter-host plugins does not list $name"; }
  ok "lists $name"
done
logged "$WORK/describe.log" "$HOST" plugins --describe "$DATA" || fail "lighter-host plugins --describe $DATA failed"
grep -q "batch_size" "$WORK/describe.log" || { cat "$WORK/describe.log" >&2; fail "--describe $DATA does not show its parameters"; }
ok "plugins --describe $DATA shows its parameters"

step "lighter-host fit run.toml"
set +e
"$HOST" fit run.toml >"$WORK/fit.log" 2>&1
rc=$?
set -e
cat "$WORK/fit.log"
((rc == 0)) || fail "lighter-host fit run.toml exited with $rc (expected 0)"
ok "exit code 0"
[[ -f lighter_logs/version_0/config.toml ]] || fail "lighter_logs/version_0/config.toml was not written"
ok "lighter_logs/version_0/config.toml exists"

mapfile -t LOSSES < <(grep -E 'epoch [0-9]+ done' "$WORK/fit.log" | grep -oE 'train/loss/epoch=[-+0-9.eE]+' | cut -d= -f2)
((${#LOSSES[@]} == 3)) || fail "expected 3 'epoch N done ... train/loss/epoch=' lines (max_epochs = 3), found ${#LOSSES[@]}"
first="${LOSSES[0]}"
last="${LOSSES[${#LOSSES[@]} - 1]}"
awk -v a="$first" -v b="$last" 'BEGIN { exit !((b + 0) < (a + 0)) }' ||
  fail "the training loss did not fall: first epoch $first, last epoch $last"
ok "training loss fell: $first (epoch 0) -> $last (epoch $((${#LOSSES[@]} - 1)))"

step "the usage snippet of lighter/plugin.hpp compiles and loads"
SNIPPET="$WORK/snippet"
mkdir -p "$SNIPPET"
sed -n '/^\/\/ BEGIN USAGE$/,/^\/\/ END USAGE$/p' "$SDK_INCLUDE/lighter/plugin.hpp" | sed -e '1d' -e '$d' -e 's|^// \{0,3\}||' \
  >"$SNIPPET/net.cpp"
grep -q 'LIGHTER_PLUGIN' "$SNIPPET/net.cpp" || fail "no usage snippet between BEGIN USAGE and END USAGE in lighter/plugin.hpp"
# shellcheck disable=SC2046
logged "$WORK/snippet.log" c++ -shared -fPIC "$SNIPPET/net.cpp" $(pkg-config --cflags --libs lighter-sdk) -o "$SNIPPET/net.so" ||
  { cat "$SNIPPET/net.cpp" >&2; fail "the usage snippet of lighter/plugin.hpp does not compile"; }
ok "compiled the usage snippet"
printf 'plugins = ["net.so"]\n' >"$SNIPPET/__lighter__.toml"
cd "$SNIPPET"
logged "$WORK/snippet-describe.log" "$HOST" plugins --describe project.Net || fail "lighter-host does not load the snippet's plugin"
grep -q "width" "$WORK/snippet-describe.log" || { cat "$WORK/snippet-describe.log" >&2; fail "project.Net does not show its width"; }
logged "$WORK/snippet-fit.log" "$HOST" fit "$SRC/tests/data/e2e/synthetic.toml" trainer::max_epochs=1 \
  '=model::network={_target_="project.Net", width=8}' || fail "fit with the snippet's project.Net failed"
ok "fit with project.Net as the network"

printf '\nPASS: custom plugin built against the installed SDK and trained\n'
