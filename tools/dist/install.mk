# Installing and packaging: `make install` / `make uninstall`, and the
# generated files they install (man pages and the systemd unit, with the
# version and paths filled in), built into $(BUILD)/dist/ by `make all`.
#
# Layout (PREFIX defaults to /usr/local, DESTDIR stages the tree):
#   $(sbindir)/uploadd, taskscope   sbin: both are run by root or by the
#                                   service manager (uploadd is a daemon;
#                                   taskscope needs CAP_BPF, like bpftool)
#   $(man8dir)/uploadd.8, taskscope.8
#   $(systemdunitdir)/uploadd.service  $(PREFIX)/lib/systemd/system: in
#                                   systemd's unit path for /usr/local and,
#                                   on merged-/usr Debian, for /usr
#   $(sysusersdir)/uploadd.conf     the service's own user (systemd-sysusers)
#   $(docdir)/uploadd.default       example environment file: copied to
#                                   /etc/default/uploadd by the admin, so
#                                   install never writes to /etc and
#                                   uninstall never deletes a config
#   $(docdir)/redis-password.conf   example drop-in: AUTH to Redis
#   $(bashcompdir)/taskscope        completions for both programs, and
#   $(bashcompdir)/uploadd -> taskscope
#
# uninstall removes exactly those files; with DESTDIR set it also removes
# the directories left empty, up to DESTDIR (a staged tree ends up empty),
# while on a live system it leaves shared directories such as
# /usr/local/sbin alone and only removes $(docdir), which is ours.

INSTALL ?= install
sbindir        ?= $(PREFIX)/sbin
mandir         ?= $(PREFIX)/share/man
man8dir        ?= $(mandir)/man8
docdir         ?= $(PREFIX)/share/doc/uploadd
bashcompdir    ?= $(PREFIX)/share/bash-completion/completions
systemdunitdir ?= $(PREFIX)/lib/systemd/system
sysusersdir    ?= $(PREFIX)/lib/sysusers.d
# Where the unit reads its settings and secrets at run time (not installed).
sysconfdir     ?= /etc

# Generated files; a test installing under its own PREFIX points DIST at a
# directory of its own, leaving $(BUILD)/dist as `make all` made it.
DIST ?= $(BUILD)/dist
DIST_FILES := $(DIST)/uploadd.8 $(DIST)/taskscope.8 $(DIST)/uploadd.service

all: $(DIST_FILES)

# The version, as the programs print it (one source: version.h).
dist_version = $$(sed -n 's/.*TS_VERSION "\(.*\)"$$/\1/p' $(BUILD)/gen/version.h)
# A man page's date: its last commit, so rebuilding does not change it.
dist_date = $$(git log -1 --format=%cs -- $< 2>/dev/null | grep . || date -u +%F)

$(DIST)/%.8: docs/man/%.8.in $(BUILD)/gen/version.h
	@mkdir -p $(@D)
	sed -e "s|@VERSION@|$(dist_version)|g" -e "s|@DATE@|$(dist_date)|g" \
	    -e "s|@SBINDIR@|$(sbindir)|g" -e "s|@SYSCONFDIR@|$(sysconfdir)|g" \
	    -e "s|@UNITDIR@|$(systemdunitdir)|g" -e "s|@DOCDIR@|$(docdir)|g" \
	    $< > $@.tmp && mv $@.tmp $@

# The paths are part of the file: rebuild when PREFIX or sbindir change.
$(DIST)/uploadd.service: tools/dist/uploadd.service.in $(DIST)/paths
	@mkdir -p $(@D)
	sed -e "s|@SBINDIR@|$(sbindir)|g" -e "s|@SYSCONFDIR@|$(sysconfdir)|g" \
	    -e "s|@DOCDIR@|$(docdir)|g" $< > $@.tmp && mv $@.tmp $@

$(DIST)/paths: FORCE
	@mkdir -p $(@D)
	@p="$(sbindir) $(sysconfdir) $(docdir) $(systemdunitdir)"; \
	 [ -f $@ ] && [ "$$(cat $@)" = "$$p" ] || echo "$$p" > $@
$(DIST)/uploadd.8 $(DIST)/taskscope.8: $(DIST)/paths

# What install puts where: "source destination-dir mode [name]".
INSTALL_MAP = \
	$(BUILD)/uploadd:$(sbindir):0755:uploadd \
	$(BUILD)/taskscope:$(sbindir):0755:taskscope \
	$(DIST)/uploadd.8:$(man8dir):0644:uploadd.8 \
	$(DIST)/taskscope.8:$(man8dir):0644:taskscope.8 \
	$(DIST)/uploadd.service:$(systemdunitdir):0644:uploadd.service \
	tools/dist/uploadd.sysusers:$(sysusersdir):0644:uploadd.conf \
	tools/dist/uploadd.default:$(docdir):0644:uploadd.default \
	tools/dist/redis-password.conf:$(docdir):0644:redis-password.conf \
	tools/dist/completion.bash:$(bashcompdir):0644:taskscope
# Symbolic links: "directory name target". bash-completion loads a
# command's completion by its name; one file serves both.
INSTALL_LINKS = $(bashcompdir):uploadd:taskscope

.PHONY: install uninstall install-check-paths

install: $(BUILD)/uploadd $(BUILD)/taskscope $(DIST_FILES) install-check-paths
	@set -e; for m in $(INSTALL_MAP); do \
		IFS=: read -r src dir mode name <<< "$$m"; \
		$(INSTALL) -d "$(DESTDIR)$$dir"; \
		echo "  INSTALL $(DESTDIR)$$dir/$$name"; \
		$(INSTALL) -m "$$mode" "$$src" "$(DESTDIR)$$dir/$$name"; \
	done; \
	for l in $(INSTALL_LINKS); do \
		IFS=: read -r dir name target <<< "$$l"; \
		echo "  LINK    $(DESTDIR)$$dir/$$name -> $$target"; \
		ln -sfn "$$target" "$(DESTDIR)$$dir/$$name"; \
	done

uninstall: install-check-paths
	@set -e; for l in $(INSTALL_LINKS); do \
		IFS=: read -r dir name target <<< "$$l"; \
		if [ -L "$(DESTDIR)$$dir/$$name" ] && \
		   [ "$$(readlink "$(DESTDIR)$$dir/$$name")" = "$$target" ]; then \
			echo "  RM      $(DESTDIR)$$dir/$$name"; \
			rm -f "$(DESTDIR)$$dir/$$name"; \
		fi; \
	done; \
	for m in $(INSTALL_MAP); do \
		IFS=: read -r src dir mode name <<< "$$m"; \
		if [ -e "$(DESTDIR)$$dir/$$name" ]; then \
			echo "  RM      $(DESTDIR)$$dir/$$name"; \
			rm -f "$(DESTDIR)$$dir/$$name"; \
		fi; \
	done; \
	rmdir "$(DESTDIR)$(docdir)" 2>/dev/null || true; \
	if [ -n "$(DESTDIR)" ]; then \
		for m in $(INSTALL_MAP); do \
			IFS=: read -r src dir mode name <<< "$$m"; \
			d="$(DESTDIR)$$dir"; \
			while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != / ]; do \
				[ ! -e "$$d" ] || rmdir "$$d" 2>/dev/null || break; \
				d=$$(dirname "$$d"); \
			done; \
		done; \
	fi

# Paths with a ':' or a space would break INSTALL_MAP; say so instead.
install-check-paths:
	@case "$(DESTDIR)$(PREFIX)$(sbindir)$(mandir)$(docdir)$(bashcompdir)$(systemdunitdir)$(sysusersdir)" in \
	*[:\ ]*) echo "install: install paths may not contain ':' or spaces (PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)); choose another PREFIX/DESTDIR" >&2; exit 2;; \
	esac
