"""The classic CLIPS formulation of Miss Manners, timed on the same guests as our run (peer figure)."""
import time

RULES = """
(deftemplate guest (slot name) (slot sex) (slot hobby))
(deftemplate last_seat (slot seat))
(deftemplate seating (slot seat1) (slot name1) (slot name2) (slot seat2) (slot id) (slot pid) (slot path_done))
(deftemplate context (slot state))
(deftemplate path (slot id) (slot name) (slot seat))
(deftemplate chosen (slot id) (slot name) (slot hobby))
(deftemplate count (slot c))

(defrule assign_first_seat
   ?f1 <- (context (state start_up))
   (guest (name ?n))
   ?f3 <- (count (c ?c))
   =>
   (assert (seating (seat1 1) (name1 ?n) (name2 ?n) (seat2 1) (id ?c) (pid 0) (path_done yes)))
   (assert (path (id ?c) (name ?n) (seat 1)))
   (modify ?f3 (c (+ ?c 1)))
   (modify ?f1 (state assign_seats)))

(defrule find_seating
   ?f1 <- (context (state assign_seats))
   (seating (seat1 ?seat1) (seat2 ?seat2) (name2 ?n2) (id ?id) (pid ?pid) (path_done yes))
   (guest (name ?n2) (sex ?s1) (hobby ?h1))
   (guest (name ?g2) (sex ~?s1) (hobby ?h1))
   ?f5 <- (count (c ?c))
   (not (path (id ?id) (name ?g2)))
   (not (chosen (id ?id) (name ?g2) (hobby ?h1)))
   =>
   (assert (seating (seat1 ?seat2) (name1 ?n2) (name2 ?g2) (seat2 (+ ?seat2 1)) (id ?c) (pid ?id) (path_done no)))
   (assert (path (id ?c) (name ?g2) (seat (+ ?seat2 1))))
   (assert (chosen (id ?id) (name ?g2) (hobby ?h1)))
   (modify ?f5 (c (+ ?c 1)))
   (modify ?f1 (state make_path)))

(defrule make_path
   (declare (salience 10))
   (context (state make_path))
   (seating (id ?id) (pid ?pid) (path_done no))
   (path (id ?pid) (name ?n1) (seat ?s))
   (not (path (id ?id) (name ?n1)))
   =>
   (assert (path (id ?id) (name ?n1) (seat ?s))))

(defrule path_done
   ?f1 <- (context (state make_path))
   ?f2 <- (seating (path_done no))
   =>
   (modify ?f2 (path_done yes))
   (modify ?f1 (state check_done)))

(defrule are_we_done
   (declare (salience 10))
   ?f1 <- (context (state check_done))
   (last_seat (seat ?l_seat))
   (seating (seat2 ?l_seat))
   =>
   (modify ?f1 (state print_results)))

(defrule continue
   ?f1 <- (context (state check_done))
   =>
   (modify ?f1 (state assign_seats)))

(defrule all_done
   (context (state print_results))
   =>
   (halt))
"""


def run(facts):
    """(rules fired, seconds) or None when clipspy is not installed."""
    try:
        import clips
    except ImportError:
        return None
    env = clips.Environment()
    for construct in ("(def" + c for c in RULES.split("\n(def")[1:]):
        env.build(construct.strip())
    for f in facts:
        t = f["_type"]
        if t == "Guest":
            env.assert_string(f'(guest (name {f["name"]}) (sex {f["sex"]}) (hobby {f["hobby"]}))')
        elif t == "LastSeat":
            env.assert_string(f'(last_seat (seat {f["seat"]}))')
        elif t == "Count":
            env.assert_string(f'(count (c {f["value"]}))')
    env.assert_string("(context (state start_up))")
    t0 = time.perf_counter()
    fired = env.run()
    return fired, time.perf_counter() - t0
