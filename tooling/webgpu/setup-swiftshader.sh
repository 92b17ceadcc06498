#!/usr/bin/env bash
# Installs a software Vulkan driver (SwiftShader, shipped in Debian's chromium-common) so
# that Dawn (the `webgpu` npm package) finds a WebGPU adapter on machines without a GPU.
# Idempotent: does nothing when the driver and the Vulkan loader are already present.
#
# Afterwards point the Vulkan loader at SwiftShader (the webgpu package's vitest config
# does this itself when the variable is unset and the file exists):
#
#   export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
#
# Debian 12's own lavapipe (Mesa 22) is rejected by Dawn (requestAdapter() resolves to null).
set -euo pipefail

ICD=/usr/lib/chromium/vk_swiftshader_icd.json

have_loader() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || [ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libvulkan.so.1 ]
}

if [ -f "$ICD" ] && have_loader; then
  echo "setup-swiftshader: SwiftShader already installed ($ICD)"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends chromium-common libvulkan1
  if [ ! -f "$ICD" ]; then
    echo "setup-swiftshader: $ICD is missing after installing chromium-common" >&2
    exit 1
  fi
  echo "setup-swiftshader: installed SwiftShader ($ICD)"
fi

echo "export VK_ICD_FILENAMES=$ICD"
