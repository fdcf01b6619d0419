"""The classroom: what turns the package into a course.

It may import the network and the experiments; nothing imports it back except notebooks and
tests.

``exercises`` (the checks that name a student's mistake), ``student`` (writes the student
copies of the chapters), ``plots`` (the figure style and the shared drawings), ``widgets``
(live explorers and their static twins), ``source`` (shows the package line that
implements an equation), ``silly`` (the seed page's network, kept as it was), and the
chapters' figure modules: ``vanishing`` (Chapter 4's gradient-decay figures and explorer),
``applications`` (Chapter 5's drawings and sounds) and ``wiring`` (Chapter 6's drawings of
stacked and bidirectional RNNs).

Import a module by its path: ``from lamassu_course.classroom.plots import ...``.
"""
