#!/usr/bin/env bash
# Installs Debian's chromium for the browser WebGPU check (packages/torchlet/test/browser.test.ts),
# which drives /usr/bin/chromium with playwright-core (never a downloaded browser) on
# SwiftShader's Vulkan (also shipped in chromium-common; see setup-swiftshader.sh).
# Idempotent: does nothing when /usr/bin/chromium exists.
#
# With REQUIRE_BROWSER=1 a missing browser fails that test instead of skipping it.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "setup-browser: chromium already installed ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends chromium
if [ ! -x /usr/bin/chromium ]; then
  echo "setup-browser: /usr/bin/chromium is missing after installing chromium" >&2
  exit 1
fi
echo "setup-browser: installed $(/usr/bin/chromium --version 2>/dev/null | head -1)"
