#!/bin/bash
# Every script in info.plist starts here: find a Python 3.10+ that can run
# the workflow, remember it in the cache folder, and run main.py with it.
# Alfred gives no login shell, so the usual install places are tried in turn.

case "$0" in */*) cd "${0%/*}" || exit 1 ;; esac
command="$1"

remembered="${alfred_workflow_cache:-$HOME/Library/Caches/afwf_mfa}/python"

usable() {
  [ -n "$1" ] && [ -x "$1" ] && "$1" main.py probe >/dev/null 2>&1
}

candidates() {
  [ -n "$python_path" ] && echo "$python_path"
  echo "$PWD/.venv/bin/python"
  echo /opt/homebrew/bin/python3
  echo /usr/local/bin/python3
  echo "$HOME/.pyenv/shims/python3"
  echo "$HOME/.local/bin/python3"
  for v in 15 14 13 12 11 10; do
    echo "/Library/Frameworks/Python.framework/Versions/3.$v/bin/python3"
  done
  echo /usr/bin/python3
}

# The remembered interpreter is trusted while it exists and the configured
# one has not changed, so a keystroke does not start Python twice.
python=""
if [ -f "$remembered" ]; then
  read -r python < "$remembered"
  if [ ! -x "$python" ] || { [ -n "$python_path" ] && [ "$python" != "$python_path" ]; }; then
    python=""
  fi
fi
if [ -z "$python" ]; then
  while read -r candidate; do
    if usable "$candidate"; then python="$candidate"; break; fi
    if [ -n "$python_path" ] && [ "$candidate" = "$python_path" ]; then
      configured_bad=1
      break
    fi
  done < <(candidates)
  if [ -n "$python" ]; then
    (umask 077 && mkdir -p "${remembered%/*}" && echo "$python" > "$remembered")
  fi
fi

# JSON string escaping for the two messages below, which may quote a path.
json() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/ }
  printf '%s' "${s//$'\n'/ }"
}

if [ -z "$python" ]; then
  title="No Python 3.10 or newer that can run this workflow"
  fix="Install Python from python.org or with Homebrew (brew install python), or set its path in the workflow's configuration."
  [ -n "$configured_bad" ] && title="The configured Python ($python_path) cannot run this workflow"
  title=$(json "$title")
  fix=$(json "$fix")
  case "$command" in
    filter)
      printf '{"items":[{"title":"%s","subtitle":"%s","valid":false,"icon":{"path":"icons/error.png"}}]}\n' "$title" "$fix" ;;
    login|run)
      printf '{"alfredworkflow":{"arg":"","variables":{"outcome":"error","notification_title":"%s","notification_text":"%s"}}}\n' "$title" "$fix" ;;
  esac
  exit 0
fi

exec "$python" main.py "$@"
