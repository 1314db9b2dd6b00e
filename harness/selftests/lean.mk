# Read by build.sh after upstream's selftests Makefile. The test objects
# are compiled in OUTPUT, so their dependency files name the skeletons the
# tests include relative to it ("xdpq_edge.skel.h"). make runs in the lean
# directory, finds no such file, and would rebuild every test that
# includes a skeleton on every run: look for skeletons in OUTPUT. A test
# is still rebuilt when its skeleton is: upstream's rule for the bare name
# then runs, and make takes its target as new. The lean build has no
# light or linked skeletons (LSKELS=, LINKED_SKELS=).
vpath %.skel.h $(OUTPUT)
