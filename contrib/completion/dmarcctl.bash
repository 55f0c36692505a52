# bash completion for dmarcctl. Commands and options are read from `dmarcctl --help` and
# `dmarcctl COMMAND --help`, so a new command or option completes without a change here.

_dmarcctl_help_words()
{
  # $1: "" for the program, else the command words. Prints subcommands, then --options.
  local -a cmd=("$1")
  [ -z "$1" ] && cmd=()
  # shellcheck disable=SC2086
  dmarcctl ${cmd[@]} --help 2>/dev/null | awk '
    /^[A-Za-z]+:/ { section = $1; next }
    section == "Subcommands:" && /^  [a-z]/ { print $1 }
    /^  +-/ { line = $0; gsub(/,/, " ", line); n = split(line, ws, " ")
             for (i = 1; i <= n; i++) if (ws[i] ~ /^--?[a-z]/) print ws[i] }'
}

_dmarcctl()
{
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  }
  case $prev in
    -c|--config|--db|-o|--output|--password-file|--database)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -f|--format)
      COMPREPLY=($(compgen -W "text json csv jsonl" -- "$cur")); return ;;
  esac
  # The command words typed so far (skipping global options and their values).
  local -a path=()
  local i w skip=0
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if [ $skip -eq 1 ]; then skip=0; continue; fi
    case $w in
      -c|--config|--db) skip=1 ;;
      -*) ;;
      *) path+=("$w") ;;
    esac
  done
  local candidates
  candidates=$(_dmarcctl_help_words "${path[*]}")
  if [ ${#path[@]} -gt 0 ] && [ "${path[0]}" = import ] && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -F _dmarcctl dmarcctl
