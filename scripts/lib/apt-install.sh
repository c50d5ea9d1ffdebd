# Sourced by the scripts that install Debian packages (setup.sh, the bench scripts).
# apt_install TAG PACKAGE...: installs the named packages (none: nothing), through sudo when not root.
apt_install() {
    local tag=$1
    shift
    [ $# -gt 0 ] || return 0
    local sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "$tag: installing $*" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}
