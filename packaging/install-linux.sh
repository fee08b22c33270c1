#!/usr/bin/env bash
# Install the built bundle for the current user: the app folder, a `sharesafe` command, the menu
# entry and the icon. Nothing needs root; remove with `packaging/install-linux.sh --uninstall`.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-$HOME/.local}
APP_DIR=$PREFIX/opt/sharesafe
if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$APP_DIR" "$PREFIX/bin/sharesafe" "$PREFIX/share/applications/sharesafe.desktop" \
    "$PREFIX/share/icons/hicolor/512x512/apps/sharesafe.png"
  echo "ShareSafe removed from $PREFIX"
  exit 0
fi
[ -x dist/sharesafe/sharesafe ] || { echo "no bundle: run 'make bundle' first" >&2; exit 1; }
mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$PREFIX/share/applications" "$PREFIX/share/icons/hicolor/512x512/apps"
rm -rf "$APP_DIR.new" && cp -a dist/sharesafe "$APP_DIR.new" && rm -rf "$APP_DIR" && mv "$APP_DIR.new" "$APP_DIR"
ln -sf "$APP_DIR/sharesafe" "$PREFIX/bin/sharesafe"
sed "s|^Exec=sharesafe |Exec=$APP_DIR/sharesafe |" packaging/sharesafe.desktop \
  > "$PREFIX/share/applications/sharesafe.desktop"
cp packaging/icons/sharesafe.png "$PREFIX/share/icons/hicolor/512x512/apps/sharesafe.png"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
echo "ShareSafe installed in $APP_DIR (command: $PREFIX/bin/sharesafe)"
